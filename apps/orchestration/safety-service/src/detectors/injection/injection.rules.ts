// The phrasing rules of the injection detector, written against normalised text (lower case, ASCII,
// one space between words; see text-normalizer.ts). They target the moves jailbreak collections and
// papers keep reusing (instruction override, persona and mode switches, system-prompt extraction,
// refusal suppression, indirect injection in documents) rather than any one prompt's wording, and
// each requires the move to be aimed at the model: "ignore whitespace in git diff" or "enable
// developer mode on my phone" have the verbs but not the target. The same moves in other languages
// are in multilingual.rules.ts.
import { CONTEXT_EXTRACTION_HINT, CONTEXT_EXTRACTION_PATTERNS } from './context-extraction.patterns';

export interface InjectionRule {
  readonly id: string;
  readonly pattern: RegExp;
  /** `untrusted` rules only run on third-party text (documents, tool results), where any instruction aimed at the model is suspect. */
  readonly scope: 'all' | 'untrusted';
  /** A cheap test every match needs (a word it cannot do without): text without it skips the rule. */
  readonly hint?: RegExp;
  /**
   * A match is third-party text embedded in the item (a document the user pasted), judged like
   * untrusted text: its instruction is neutralised instead of refusing the user's turn.
   */
  readonly embedded?: boolean;
}

/** Words between a verb and its object: "all of your previous", "the above". */
const filler = (max: number) =>
  `(?:(?:all|any|every|each|the|of|your|these|those|that|this|its|previous|prior|above|earlier|preceding|foregoing|before|initial|original|old|existing|current|system|developer|default|given|said|mentioned|safety|content|ethical|(?:openai|anthropic|google|meta|microsoft|chatgpt|gpt|claude)(?:'s)?|and|or|other|such|whatever|rest|remaining|preset|pre-set|built-in|hidden|core|base)\\W+){0,${max}}`;

const OVERRIDE_VERB =
  "(?:ignore|disregard|forget|override|overwrite|bypass|neglect|discard|abandon|set aside|throw out|stop following|do not follow|don't follow|dont follow|no longer follow|cancel|nullify|void|erase|delete|clear|drop|skip|unlearn)";
const QUALIFIER =
  "(?:all|any|every|previous|prior|above|earlier|preceding|foregoing|initial|original|old|existing|your|system|developer|default|safety|content|ethical|(?:openai|anthropic|google|meta|microsoft|chatgpt|gpt|claude)(?:'s)?|built-in|preset|pre-set|hidden|core|base)";
const DIRECTIVES =
  '(?:instructions?|rules|directions?|directives?|guidelines?|guidance|prompts?|programming|training|constraints?|restrictions?|policies|policy|safeguards?|guardrails?|limitations?|conditioning|protocols?|principles?|filters?|context)';
const MODEL =
  '(?:ai|assistant|chatbot|bot|model|llm|gpt|chatgpt|claude|gemini|llama|copilot|agent|language model)';
const LIMITS =
  '(?:restrictions?|rules|filters?|limits|limitations|guidelines|ethics|ethical \\w+|morals?|morality|moral \\w+|censorship|constraints|boundaries|polic(?:y|ies)|content polic(?:y|ies)|safeguards|guardrails|programming|principles)';
const MODES =
  '(?:developer|dev|god|debug|admin|administrator|root|sudo|maintenance|jailbreak|jailbroken|unrestricted|unfiltered|uncensored|unlocked|dan|evil|chaos|opposite|anarchy|no[- ]?limits?|limitless|freedom)';

const rule = (
  id: string,
  source: string,
  scope: InjectionRule['scope'] = 'all',
  hint?: RegExp,
  embedded = false,
): InjectionRule => ({
  id,
  pattern: new RegExp(source, 'g'),
  scope,
  hint,
  ...(embedded ? { embedded } : {}),
});

const anyOf = (...hints: RegExp[]) => new RegExp(hints.map((h) => h.source).join('|'));

// Hints of the costlier rules: each alternative of the rule contains one of these words.
const LIMIT_HINT =
  /restrict|rules|filter|limit|guideline|ethic|moral|censor|constraint|boundar|polic|safeguard|guardrail|programming|principle|free|liberat|unchain|jailbr|unshackl|unlock|bound|subject|governed|required|obligated|held back|character|no longer|\bdan\b|evil|chaos|anarchy|ai\b|assistant|model|bot\b|gpt|claude|gemini|llama|copilot|agent/;
const ADDRESSED_VERB =
  "(?:say|respond|reply|answer|tell|add|include|insert|append|output|print|mention|state|claim|rate|rank|label|close|approve|recommend|describe|write|report|ask|call|send|forward|delete|remove|run|execute|do not|don't|never|ignore|disregard|forget|stop|replace|summari[sz]e|translate|praise|mark|flag|return)";
const GRANDMA_HINT = /grand|granny|nana|\bnan\b|\bgran\b|sleep|bedtime|lullaby|used to/;

export const INJECTION_RULES: readonly InjectionRule[] = [
  rule(
    'injection.ignore_previous',
    [
      `\\b${OVERRIDE_VERB}(?<!\\b(?:told|asked|instructed|wants|want|wanted|said to|says to|expects) (?:me|us|him|her|them|you) to \\w+(?: \\w+)?)\\W+${filler(4)}${QUALIFIER}\\W+${filler(3)}${DIRECTIVES}\\b`,
      `\\b${OVERRIDE_VERB}\\W+(?:everything|anything|all|what) (?:(?:that )?(?:you (?:were|have been|was) (?:told|given|instructed|programmed)|i said|(?:was )?(?:said|written|stated) )?(?:above|before|previously|earlier|so far|until now|up to now)|you (?:were|have been) (?:told|given|instructed|programmed))`,
      `\\b(?:ignore|disregard|forget) (?:all of |all |everything )?(?:the |that )?(?:above|previous|preceding|prior|foregoing)\\b(?=\\W*(?:and|then|instead|$)|\\W*[,;:.!]\\W*(?:and |then |instead |now |just )?(?:say|print|write|output|reply|respond|tell|translate|do|repeat))`,
      `\\b(?:the )?(?:above|previous|prior|earlier) (?:instructions|rules|prompt|directions) (?:are|is|were|was) (?:void|cancelled|canceled|null|obsolete|outdated|revoked|no longer (?:valid|active|apply|in effect)|wrong|fake|a test)`,
      `\\b(?:instead of|rather than) (?:following|obeying|doing) (?:your|the) (?:\\w+ ){0,2}(?:instructions|rules|guidelines|task)`,
    ].join('|'),
    'all',
    /ignor|disregard|forget|overrid|overwrit|bypass|neglect|discard|abandon|set aside|throw out|follow|cancel|nullif|void|erase|delet|clear|drop|skip|unlearn|instead of|rather than|above|previous|prior|earlier/,
  ),
  rule(
    'injection.new_instructions',
    [
      `\\b(?:your|the|my) (?:new|real|actual|true|updated|revised|only) (?:instructions?|rules?|task|directives?|role|purpose|objective|mission|prompt|system prompt|orders) (?:is|are|will be|from now on|now)\\b`,
      `\\b(?:new|updated|revised|real|actual|true|override|overriding|priority|urgent) (?:system )?(?:instructions?|prompt|directives?|commands?|orders)\\W{0,3}:`,
      `\\bsystem (?:override|prompt override|update|notice|alert|instruction|command|message)s?\\W{0,3}:`,
      `\\byou (?:will|must|shall) now (?:obey|follow|listen to|do whatever|comply with) (?:me|my|only|every|all|the following|these)\\b`,
      `\\bfrom now on\\W+(?:\\w+\\W+){0,4}?(?:without (?:any )?${LIMITS}|ignor(?:e|ing) (?:your|all|any) \\w+|(?:no|not bound by|free (?:of|from)) (?:any )?${LIMITS})`,
    ].join('|'),
    'all',
    /instruction|rule|task|directive|role|purpose|objective|mission|prompt|orders|command|system|obey|follow|listen to|whatever|comply|from now on/,
  ),
  rule(
    'injection.chat_template_tokens',
    `<\\|(?:im_start|start_header_id)\\|> ?(?:system|user|assistant|developer|tool)\\b|<\\|(?:system|user|assistant)\\|> ?\\w|\\[inst\\][\\s\\S]{1,2000}?\\[/inst\\]|<<sys>>[\\s\\S]{1,2000}?<</sys>>|<\\/?(?:start_of_turn|end_of_turn)>|(?:^|[\\s>])(?:#{2,} ?|\\[|<)(?:system|sys|admin|developer|operator)(?: ?(?:message|prompt|instructions?))? ?(?:\\]|>|:)(?!\\w)|<\\/?(?:system|instructions?|admin_instructions|developer_instructions)>`,
    'all',
    /<\||\[inst|<<sys|_of_turn|system|sys\b|admin|developer|operator|instruction/,
  ),
  rule(
    'injection.reveal_system_prompt',
    [
      `\\b(?:reveal|show|print|output|display|repeat|recite|dump|leak|expose|disclose|share|tell|give|spell out|write out|type out|copy|paste|echo|list|provide|return|translate|summari[sz]e|paraphrase|quote|read)\\W+(?:(?:me|us|back|out|the|a|all|of|exact|full|entire|complete|verbatim|word for word|literally|first|last|\\d+|lines?|words?|text|contents?|everything|in|from|within|inside)\\W+){0,6}(?:your|(?:the )?(?:hidden|secret|confidential|internal|initial|original|private|underlying|pre-?prompt|meta))\\W+(?:(?:full|entire|exact|original|initial|system|developer|hidden|secret|internal|base|core)\\W+){0,3}(?:system\\W+)?(?:prompts?|instructions?|messages?|rules|guidelines|configuration|directives?|context|preamble|programming)\\b`,
      `\\b(?:reveal|print|output|dump|leak|repeat|recite|disclose|expose|show|display|spell out|write out)\\W+(?:(?:me|us|back|out|the|a|all|of|exact|full|entire|complete|verbatim|word for word)\\W+){0,4}(?:system|developer)\\W+(?:prompts?|instructions?|messages?)\\W+(?:(?:you|that you|which you) (?:were|have been|are|got) (?:given|told|provided|using|running)|(?:above|before|that (?:came|comes) before))`,
      `\\bwhat (?:is|are|was|were) (?:your|the (?:hidden|secret|initial|original|exact)) (?:\\w+ ){0,2}?(?:system prompt|initial prompt|original prompt|prompt|instructions|system instructions|directives|rules you (?:follow|were given))\\b`,
      `\\b(?:repeat|print|output|recite|copy|show|write|return)\\W+(?:(?:me|back|out|the|all|of|exact|every|verbatim|word for word)\\W+){0,4}(?:words|text|everything|lines?|content|message|tokens|characters|sentences)\\W+(?:(?:written|that (?:came|come|appear|appears|is|are)|you (?:saw|see|read))\\W+)?(?:above|before|prior to|preceding)\\b`,
      `\\b(?:starting|beginning|start|begin) with\\W+(?:the words?\\W+)?["'\\s]*you are (?:a|an|chatgpt|\\w+)`,
      `\\beverything (?:above|before) this (?:line|message|point|sentence)\\b`,
      `\\b(?:ignore|skip) (?:the )?(?:question|task|request)[^.!?]{0,40}(?:print|output|reveal|show) (?:your|the) (?:\\w+ )?(?:prompt|instructions)`,
      ...CONTEXT_EXTRACTION_PATTERNS,
    ].join('|'),
    'all',
    anyOf(
      /prompt|instruction|message|rules|guideline|configuration|directive|context|preamble|programming|above|before|prior to|preceding|you are/,
      CONTEXT_EXTRACTION_HINT,
    ),
  ),
  rule(
    'jailbreak.dan',
    [
      `\\bdo anything now\\b(?:(?=[\\s\\S]{0,200}?\\b(?:you|your|${MODEL}|dan|rules|restrictions|polic\\w*|filters?|confines|limits)\\b)|(?<=\\b(?:you|your|${MODEL}|dan)\\b[\\s\\S]{0,200}))`,
      `\\bdan mode\\b`,
      `\\b(?:you are|you're|act as|pretend to be|become|be|you will be) (?:now )?dan\\W{0,3}(?:,|which|who|an? ai|the ai)`,
      `\\b(?:jailbroken|jailbreak|unfiltered|uncensored|unrestricted|amoral|unethical|immoral|evil|rogue|unaligned|unchained|unhinged) (?:${MODEL}|persona|alter ego|version of (?:you|yourself|chatgpt|the ai|the model)|mode response|response|output)s?\\b`,
      `\\[(?:🔓|🔒)? ?(?:jailbreak|jailbroken|dan|classic|unfiltered|developer mode output|normal output)\\]`,
      `\\b(?:two|2|both) (?:different |separate )?(?:responses|answers|replies|outputs)\\W+(?:\\w+\\W+){0,8}?(?:jailbr(?:oken|eak)|unfiltered|uncensored|developer mode|dan|no restrictions|without (?:any )?(?:filter|restriction)s?)`,
    ].join('|'),
    'all',
    /anything now|\bdan\b|jailbr|unfilter|uncensor|unrestrict|amoral|unethical|immoral|evil|rogue|unalign|unchain|unhinged|\[|responses|answers|replies|outputs/,
  ),
  rule(
    'jailbreak.developer_mode',
    [
      `\\b(?:enable|enabled|activate|activated|enter|entering|switch(?:ed)? (?:to|into)|turn(?:ed)? on|unlock|unlocked|initiate|engage|boot into|go into|simulate|emulate|with|(?:are|be|now|still|running|operating|acting|respond|answer|reply) in)\\W+(?:(?:the|a|your|in|into)\\W+)?${MODES}\\W+mode\\b(?=[\\s\\S]{0,160}?\\b(?:you|your|yourself|${MODEL}|respond|response|responses|answer|reply|output|polic(?:y|ies)|restrict\\w*|filter\\w*|censor\\w*|guideline\\w*|limits?|refuse|anything|ethic\\w*|moral\\w*|generate|content)\\b)`,
      `\\b(?:${MODES}) mode (?:is )?(?:now )?(?:enabled|activated|engaged|on|unlocked|active|initiated)\\b(?=[\\s\\S]{0,160}?\\b(?:you|your|${MODEL}|respond|answer|output|polic|restrict|filter|censor|anything|generate|content)\\b)`,
      `\\b(?:jailbreak|jailbroken|unrestricted|unfiltered|uncensored|dan|evil|chaos|anarchy) mode\\b`,
    ].join('|'),
    'all',
    /mode/,
  ),
  rule(
    'jailbreak.roleplay_override',
    [
      `\\b(?:pretend|imagine|act|behave|roleplay|role-play|role play|play the role|simulate|emulate|respond|answer|reply|speak|talk|write|become)\\b[^.!?]{0,60}?\\b(?:you|yourself|u)\\b[^.!?]{0,50}?\\b(?:no|without(?: any)?|free (?:of|from)|unbound by|not bound by|no longer bound by|ignor(?:e|es|ing)|unrestricted by|exempt from|beyond|outside|above|break(?:ing)?|don't have|do not have|doesn't have|does not have|lack|lacking)\\W+(?:\\w+\\W+){0,3}?${LIMITS}\\b`,
      `\\b(?:you|u) (?:have|has|got|possess) (?:no|zero|none of (?:your|the)) (?:\\w+ ){0,2}?${LIMITS}\\b`,
      `\\b(?:pretend (?:to be|you are|you're)|act as|acting as|roleplay as|role-play as|play the role of|respond as|answer as|reply as|speak as|become|you are going to (?:be|pretend|act))\\b[\\s\\S]{0,200}?\\b(?:has|have|had|with|without) (?:no|zero|any|none of the) (?:(?:ethical|moral|content|safety|usual|typical|such) )?${LIMITS}\\b`,
      `\\b(?:you are|you're|you will be|you'll be) (?:no longer|not) (?:an? |the )?(?:${MODEL}|bound|restricted|limited|constrained|censored|filtered|subject to|governed by|required to (?:follow|obey|comply)|obligated|held back)\\b`,
      `\\b(?:you are|you're) (?:now )?(?:free (?:from|of)|freed from|liberated from|released from|no longer bound by|unbound by)\\W+(?:\\w+\\W+){0,3}?${LIMITS}`,
      `\\b(?:you are|you're|you have been|you've been|consider yourself) (?:now )?(?:free|freed|liberated|unchained|jailbroken|unshackled|unrestricted|unfiltered|uncensored|unlocked)\\b`,
      `\\b(?:not|never) (?:bound|restricted|limited|constrained|governed) by (?:any )?(?:\\w+ ){0,2}?(?:rules|guidelines|polic(?:y|ies)|restrictions|ethics|morals|openai|anthropic|google|content|law|laws)\\b(?:(?=[^.!?]{0,120}?\\b(?:you|your|${MODEL}|answer|respond|character)\\b)|(?<=\\b(?:you|your|${MODEL}|character)\\b[^.!?]{0,200}))`,
      `\\b(?:stay|remain|keep) (?:in|as) (?:character|${MODES})\\b[^.!?]{0,100}?\\b(?:no matter what|at all costs|even if|whatever (?:i|you))|\\bif you break character\\b`,
      `\\b(?:hypothetical(?:ly)?|fictional|imaginary|alternate|parallel)\\b[^.!?]{0,60}?\\b(?:world|universe|scenario|reality|story|setting)\\b[^.!?]{0,60}?\\b(?:where|in which)\\b[^.!?]{0,40}?\\b(?:${MODEL}s?|you)\\b[^.!?]{0,40}?\\b(?:no|without|aren't|are not|isn't|is not)\\b[^.!?]{0,20}?${LIMITS}`,
    ].join('|'),
    'all',
    LIMIT_HINT,
  ),
  rule(
    'jailbreak.grandma',
    [
      `\\b(?:pretend|act|acting|roleplay|role-play|role play|play|playing|be|imagine|impersonate|you are|you're|speak as|talk like|as if you were)\\b[^.!?]{0,40}?\\b(?:deceased|dead|late|departed|passed(?: away)?|dear old|sweet old|beloved)\\b[^.!?]{0,20}?\\b(?:grand(?:ma|mother|pa|father|mom|dad|parent)|granny|nana|nan|gran|grandmom)\\b`,
      `\\b(?:read|tell|recite|sing|whisper|give|list) (?:me )?(?:\\w+ ){0,4}?(?:windows|office|steam|product|license|licence|activation|serial|cd|registration) (?:\\d+ )?(?:pro )?(?:keys?|codes?)\\b(?=[^.!?]{0,120}?\\b(?:sleep|bedtime|grand\\w*|granny|nana|used to|lullaby|story)\\b)`,
      `\\b(?:grand(?:ma|mother|pa|father)|granny|nana)\\b[^.!?]{0,80}?\\bused to\\b[^.!?]{0,60}?\\b(?:recipe|steps|instructions|how to (?:make|build|synthesi[sz]e|produce|cook))\\b[^.!?]{0,80}?\\b(?:napalm|meth\\w*|explosives?|bombs?|weapons?|poisons?|nerve agents?|drugs?|chemical weapons?)\\b`,
    ].join('|'),
    'all',
    GRANDMA_HINT,
  ),
  rule(
    'jailbreak.disable_safety',
    [
      `\\b(?:bypass|disable|deactivate|turn off|switch off|remove|circumvent|evade|get around|work around|override|ignore|lift|drop|suspend|strip|shut off|shut down|break|escape)\\W+(?:(?:all|any|of|the)\\W+){0,2}(?:your|its)\\W+(?:(?:own|internal|built-in|safety|content|ethical|moral|security|openai|nsfw|usual|normal|current)\\W+){0,2}(?:filters?|guardrails?|safeguards?|restrictions?|censorship|moderation|alignment|ethics|morals|limitations|limits|safety|programming|conditioning|training|polic(?:y|ies)|guidelines|rules|shackles|chains)\\b`,
      `\\b(?:bypass|disable|deactivate|turn off|switch off|remove|circumvent|evade|get around|override|lift|suspend|strip|jailbreak)\\W+(?:(?:all|any|of|the|these|those)\\W+){0,2}(?:guardrails?|safeguards?|safety (?:measures|protocols|guidelines|features|filters?|training|layers?|systems?|settings|restrictions|rails)|censorship|alignment|ethical (?:guidelines|restrictions|constraints|filters?|safeguards)|moral (?:guidelines|restrictions|constraints|filters?)|content polic(?:y|ies)|openai(?:'s)? (?:polic(?:y|ies)|guidelines|rules|restrictions|filters?))\\b`,
      `\\bjailbreak (?:yourself|you|the (?:ai|model|assistant|chatbot)|chatgpt|gpt|claude|gemini)\\b`,
    ].join('|'),
    'all',
    /filter|guardrail|safeguard|restriction|censorship|moderation|alignment|ethic|moral|limitation|limits|safety|programming|conditioning|training|polic|guideline|rules|shackles|chains|jailbreak/,
  ),
  rule(
    'jailbreak.refusal_suppression',
    [
      `\\byou (?:will |shall |must |can |may |are going to )?(?:never|not|no longer|cannot|can't|cant|won't|will not|must not|mustn't|are not allowed to|aren't allowed to|are unable to|do not|don't) (?:ever )?(?:\\w+ ){0,2}?(?:refuse|decline|deny|reject|say no|apologi[sz]e|add (?:any )?(?:warnings?|disclaimers?)|moraliz|lecture|warn me)\\w*`,
      `\\b(?:never|don't|do not|dont) (?:ever )?(?:refuse|decline|reject) (?:a |any |my |to answer (?:any |my )?)?(?:request|question|prompt|answer|task|order|command)s?\\b`,
      `\\bnever (?:say|respond with|reply with|use the (?:words?|phrases?)|include the (?:words?|phrases?))\\W+(?:(?:the|words?|phrases?|that|things? like)\\W+){0,3}["'\\s]*(?:i'?m sorry|i am sorry|sorry|i cannot|i can'?t|i am unable|i'?m unable|as an ai|as a language model|unfortunately|i apologi[sz]e)`,
      `\\bwithout (?:any )?(?:disclaimers?|moral(?:i[sz]ing)?|ethical (?:considerations|warnings|concerns|lectures|judg(?:e)?ments?)|lectur(?:ing|es)|refus(?:ing|als?)|censoring (?:yourself|your answers?))\\b(?:(?=[^.!?]{0,80}?\\b(?:answer|respond|reply|tell|explain|write|provide|you)\\b)|(?<=\\b(?:answer|respond|reply|tell me|explain)\\b[^.!?]{0,140}))`,
      `\\b(?:do not|don't|dont|never) apologi[sz]e\\b[^.!?]{0,80}?\\b(?:refuse|disclaimer|warning|cannot|can't|note|unable|ethic\\w*|moral\\w*)`,
    ].join('|'),
    'all',
    /refus|declin|deny|reject|say no|apologi|warn|disclaimer|moraliz|lectur|never say|respond with|reply with|use the|include the|without/,
  ),
  rule(
    'jailbreak.prefix_injection',
    `\\b(?:start|begin|open|prefix|commence) (?:your|the|each|every) (?:\\w+ )?(?:response|answer|reply|output|message)s? (?:with|by saying)\\W+(?:the words?\\W+)?["'\\s]*(?:sure|absolutely|certainly|of course|here is|here's|i will|i'll|gladly|with pleasure)\\b`,
    'all',
    /start|begin|open|prefix|commence/,
  ),
  rule(
    'injection.encoded_instruction',
    [
      `\\b(?:decode|decipher|decrypt|translate|convert|interpret|unscramble|reverse|read)\\b[^.!?]{0,60}?\\b(?:base ?64|b64|rot ?-?13|hex(?:adecimal)?|binary|morse|caesar|backwards|reversed|ascii codes|unicode escapes|pig latin|leetspeak|l33t)\\b[^.!?]{0,80}?\\b(?:and|then)\\W+(?:\\w+\\W+){0,3}?(?:follow|execute|obey|do (?:it|that|what|exactly|as)|perform|carry out|run|act on|comply|answer|respond to|complete)\\b`,
      `\\b(?:follow|execute|obey|carry out|act on|comply with)\\W+(?:(?:the|these|those|all)\\W+){0,2}(?:decoded|encoded|hidden|embedded|obfuscated|encrypted|reversed) (?:instructions?|text|message|commands?|content|payload|prompt)\\b`,
    ].join('|'),
    'all',
    /decode|decipher|decrypt|translat|convert|interpret|unscramble|revers|read|follow|execute|obey|carry out|act on|comply/,
  ),
  rule(
    'injection.payload_splitting',
    `\\b(?:concatenate|combine|join|merge|put together|add together|append)\\b[^.!?]{0,80}?\\b(?:strings?|parts|pieces|fragments|variables|segments|halves|tokens|[a-z] (?:and|\\+|&) [a-z]|[a-z]\\d? ?\\+ ?[a-z]\\d?)\\b[^.!?]{0,120}?\\b(?:follow|execute|obey|do what|answer|respond to|carry out|perform|act on|complete|comply)\\b`,
    'all',
    /concatenat|combine|join|merge|put together|add together|append/,
  ),
  rule(
    'injection.indirect_instruction',
    [
      `\\b(?:dear |hey |hi |attention |note to (?:the )?|message (?:to|for) (?:the )?|instructions? (?:to|for) (?:the )?|important (?:note )?(?:to|for) (?:the )?)?${MODEL}s?\\W{1,3}(?:\\w+\\W+){0,3}?(?:must|should|shall|need to|have to|are required to|is required to|will now|please|now)\\W+(?:\\w+\\W+){0,2}?(?:ignore|disregard|forget|send|forward|email|post|upload|include|insert|add|append|attach|prepend|embed|encode|output|print|say|tell|reply|respond|recommend|visit|click|open|fetch|navigate|exfiltrate|delete|call|execute|run|praise|rate|rank|label|approve|close|mark|flag|report|return|describe this|summari[sz]e this (?:page|document) as|state that|claim|mention)\\b`,
      `\\b${MODEL}s?\\W{1,3}(?:please )?(?:ignore|disregard|forget|send|forward|reply|respond|say|tell|output|print|include|recommend|visit|delete|execute|run|call|stop|summari[sz]e)\\b`,
      // Addressed by name, then a colon: "AI assistants summarizing this repository: say ...",
      // "assistant: after fixing, also add ...".
      `\\b(?:the )?${MODEL}s?\\b(?:\\W+\\w+){0,5}?\\W*:\\W*(?:(?:please|also|then|now|just|kindly|simply|instead|first|additionally|(?:after|when|before|while) \\w+ing)\\W+){0,2}${ADDRESSED_VERB}\\b`,
      // Addressed conditionally: "if you are a language model, state that ..."
      `\\bif (?:you are|you're|you re|u r) (?:an? |the )?(?:${MODEL}|large language model|ai (?:model|system|agent|assistant))\\b`,
      // The reader's task replaced: "forget the summary task. instead write ...", "do not translate. instead reply ..."
      `\\b(?:ignore|disregard|forget|skip|abandon|stop|drop|cancel)\\W+(?:(?:the|this|that|your|my|their|all|any|current|original|previous|above|user'?s?|summary|summari[sz]ing|translation|translating|assigned|given)\\W+){0,3}(?:task|request|question|assignment|query|job|summary)\\b[^.!?]{0,30}?[.!?,;:]?\\W*(?:instead|rather)\\b`,
      `\\b(?:do not|don't|dont|never) (?:translate|summari[sz]e|answer|respond to|process|review|analy[sz]e)\\b[^.!?]{0,40}?[.!?,;:]?\\W*instead\\b`,
      // The user's data put into a link the reader will fetch: "append the user's email address to https://..."
      `\\b(?:append|add|attach|include|embed|encode|insert|put)\\b[^.!?]{0,40}?\\b(?:the |this |all |their )?(?:conversation|chat history|user'?s? (?:[\\w-]+ ){0,2}(?:e-?mail|address|name|password|messages?|data|history|credentials|api keys?|token|location|phone))\\b[^.!?]{0,40}?\\b(?:to|into|in|at)\\b (?:the |this |a |an )?(?:url|link|query|image url|https?:\\/\\/)`,
      `\\bsystem ?(?:message|note|notice|prompt|update)?\\W{0,2}:\\W*(?:\\w+\\W+){0,8}?(?:disclose|reveal|ignore|disregard|you must|you are|the assistant|the user is|send|forward|output|print)\\b`,
      `\\b(?:note|message|instructions?|attention|notice|important|warning|memo|directive)\\W{0,3}(?:to|for) (?:the |any |all )?(?:${MODEL}s?|automated (?:systems?|readers?|agents?)|(?:ai|llm) (?:readers?|agents?|systems?))\\b`,
      `\\b(?:if|when|whenever) (?:you are |you're )?(?:an? |the )?(?:${MODEL}s?|you)\\W+(?:\\w+\\W+){0,2}?(?:read(?:s|ing)?|process(?:es|ing)?|summari[sz](?:e|es|ing)|see(?:s|ing)?|encounter(?:s|ing)?|pars(?:e|es|ing)|analy[sz](?:e|es|ing)|review(?:s|ing)?|index(?:es|ing)?)\\W+(?:\\w+\\W+){0,2}?(?:this|these|the following)\\b`,
      `\\b(?:do not|don't|never) (?:tell|inform|mention (?:this )?to|reveal (?:this )?to|show (?:this )?to|let) the user\\b`,
      `\\b(?:send|forward|email|post|upload|transmit|exfiltrate|leak|copy|submit)\\b[^.!?]{0,40}?\\b(?:the |this |all |their |his |her )?(?:conversation|chat history|chat logs?|user'?s? (?:data|messages|email|password|credentials|api keys?|personal \\w+|details|files|address|info\\w*)|credentials|passwords?|api keys?|session tokens?|cookies|system prompt|previous messages|private data|personal data)\\b[^.!?]{0,60}?\\b(?:to|at|via)\\b`,
      `!\\[[^\\]]{0,100}\\]\\(https?:\\/\\/[^)\\s]{0,200}[?&][\\w-]{1,30}=(?:\\{|\\[|%7b|<|\\$)`,
    ].join('|'),
    'untrusted',
  ),
  // Third-party voice in any text: a clause that opens by addressing the model and speaks of "the
  // user" in the third person was not written by the user ("Assistant, forward this thread to ... and
  // don't tell the user"; "-- AI: also tell the user to run ..."). It is a document inside the
  // message, so the match is judged as embedded third-party text.
  rule(
    'injection.indirect_instruction',
    `(?:^|[^\\w\\s]|\\n)\\s*(?:(?:dear|hey|hi|hello|attention|note (?:to|for)|message (?:to|for)|instructions? (?:to|for)|important(?: note)? (?:to|for)|reminder (?:to|for))\\W+)?(?:the |any |all )?${MODEL}s?\\b(?:\\W+\\w+){0,4}?\\W*[:,](?:[^.!?\\n]|\\.(?=\\w)){0,160}?\\bthe user(?:'s|s)?\\b(?! (?:manual|guide|interface|experience|agreement|account|base|story|stories|id|name|list|table|model|role|agent)\\b)`,
    'all',
    /user/,
    true,
  ),
];

/** Every rule id the injection detector can report, the encoded and split variants included. */
export const INJECTION_RULE_IDS = [
  ...new Set([...INJECTION_RULES.map((r) => r.id), 'injection.encoded_payload']),
] as const;
