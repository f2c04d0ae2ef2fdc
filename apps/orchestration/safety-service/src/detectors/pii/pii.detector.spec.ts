import { isPaymentCardNumber, passesLuhn } from './payment-card.recognizer';
import { PiiDetector } from './pii.detector';

describe(PiiDetector.name, () => {
  const sut = new PiiDetector();
  const found = (text: string) =>
    sut.detect(text, { defaultPhoneRegion: 'US' }).map((d) => [d.ruleId, text.slice(d.start, d.end)]);
  /** A real value is found in `text`; nothing in the look-alike written beside it. */
  const findsValueNotLookAlike = (ruleId: string, text: string, value: string, lookAlike: string) => {
    expect(found(text)).toEqual([[ruleId, value]]);
    expect(found(lookAlike)).toEqual([]);
  };

  it.each([
    ['pii.email', 'write to maria.gonzalez@acme-corp.com today', 'maria.gonzalez@acme-corp.com'],
    ['pii.email', 'plus addressing a.b+news@mail.example.co.uk works', 'a.b+news@mail.example.co.uk'],
    ['pii.email', "apostrophes are legal: d.o'connor@firm.ie", "d.o'connor@firm.ie"],
    ['pii.email', 'spelled out li.wei [at] example [dot] cn', 'li.wei [at] example [dot] cn'],
    ['pii.phone', 'call (415) 555-2671 tonight', '(415) 555-2671'],
    ['pii.phone', 'UK office +44 20 7946 0958', '+44 20 7946 0958'],
    ['pii.phone', 'text 212.555.0187', '212.555.0187'],
    ['pii.phone', 'phone 6502530000 is the desk', '6502530000'],
    ['pii.phone', 'Berlin: 030 12345678 (national format)', '030 12345678'],
    ['pii.payment_card', 'card 4111 1111 1111 1111 exp 12/27', '4111 1111 1111 1111'],
    ['pii.payment_card', 'amex 3782 822463 10005', '3782 822463 10005'],
    ['pii.payment_card', 'mc 5555555555554444', '5555555555554444'],
    ['pii.iban', 'IBAN DE89 3704 0044 0532 0130 00 thanks', 'DE89 3704 0044 0532 0130 00'],
    ['pii.iban', 'GB29NWBK60161331926819', 'GB29NWBK60161331926819'],
    ['pii.us_ssn', 'SSN 123-45-6789 on file', '123-45-6789'],
    ['pii.us_ssn', 'SSN: 219099999', '219099999'],
    ['pii.ip_address', 'egress 203.0.113.42 please', '203.0.113.42'],
    ['pii.ip_address', 'host 2001:db8:85a3::8a2e:370:7334 down', '2001:db8:85a3::8a2e:370:7334'],
    // Next to the version and login look-alikes below: the same shapes that are addresses.
    ['pii.ip_address', 'ssh into the ubuntu box at 192.168.1.24', '192.168.1.24'],
    ['pii.ip_address', 'update the DNS record to 10.0.0.7', '10.0.0.7'],
    ['pii.email', 'mail bob@example.com: he knows', 'bob@example.com'],
    ['pii.email', 'mailto:ana@example.org?subject=hi', 'ana@example.org'],
    ['pii.us_ssn', 'my SSN is 536-22-1907', '536-22-1907'],
    // Next to the v3 look-alikes: extensions that are also country codes, addresses near words
    // that name OIDs or versions elsewhere, national numbers long enough for a fallback region.
    ['pii.email', 'mail dev@tools.sh about the script', 'dev@tools.sh'],
    ['pii.email', 'ask k.ito@studio.md for the assets', 'k.ito@studio.md'],
    ['pii.ip_address', 'the SNMP agent at 81.2.69.160 stopped answering', '81.2.69.160'],
    ['pii.ip_address', 'the X.509 certificate is served by 81.2.69.160', '81.2.69.160'],
    ['pii.ip_address', 'the upgrade server 81.2.69.160 is down', '81.2.69.160'],
    ['pii.phone', 'Milan office 02 8738 6411 (national format)', '02 8738 6411'],
    ['pii.phone', 'call +39 0314 2025 from abroad', '+39 0314 2025'],
  ])('finds %s in %j', (ruleId, text, value) => {
    expect(found(text)).toEqual([[ruleId, value]]);
  });

  it.each([
    'Order #4155552671 shipped',
    'ISBN 978-0-596-52068-7',
    'upgrade to version 1.2.3.4',
    'request 3f2504e0-4f89-11d3-9a0c-0305e82c3301 failed',
    'the meeting is on 2024-03-15 at 14:30',
    'card-like 4111111111111112 fails Luhn',
    'invoice number 5555555555554444 is overdue',
    'DE00 0000 0000 0000 0000 00 fails mod 97',
    'SSN area 666-12-3456 is never issued',
    'connect to 127.0.0.1:6379 or 0.0.0.0',
    'use logo@2x.png for retina',
    'git clone git@github.com:hearth/platform.git',
    'npm install lodash@4.17.21',
    'MAC 00:1A:2B:3C:4D:5E',
    'Chrome 120.0.6099.109',
    'Upgrade the agent from 7.2.0.14 to 7.2.1.3 before Friday',
    'Release 7.2.0.14 → 7.2.1.3',
    'Firmware 4.1.0.12 fixes the Wi-Fi drop',
    'client version=2.14.3.1',
    '<FileVersion>4.2.0.17</FileVersion>',
    'subject CN OID 2.5.4.3',
    'the private ranges 10.0.0.0/8 and 192.168.0.0/16',
    'broadcast 192.168.1.255',
    'ubuntu@ip-172-31-5-10.us-west-2.compute.internal:~$ uptime',
    'git+ssh://git@bitbucket.org/team/repo.git',
    'scp build.tgz deploy@web-01.example.net:/srv/releases',
    '@import url("theme@2x.css");',
    'Lot 483-22-1907 expires in May',
    'nine digits 123456789 without context',
    // v3 look-alikes: file names and systemd units with "@", OIDs, requirement numbers, versions
    // named by the noun after them or glued into a file name, link-local and multicast addresses,
    // dates and timecodes, sample and drawing numbers.
    'systemctl restart getty@tty2.service and backup@nightly.timer',
    'restored dump@2024-11-02T03.00.00.tar from cold storage',
    'X509v3 Key Usage (2.5.29.15) and X509v3 Extended Key Usage (2.5.29.37)',
    'X509v3 Subject Key Identifier (2.5.29.14) and Authority Key Identifier (2.5.29.35) are set',
    'the ASN.1 arc 2.5.4.6 is countryName',
    'requirement 4.1.2.3 covers audit logs',
    'the 2.4.0.117 rollout starts on Monday',
    'download agent-2.4.0.117-win64.zip or setup-2.4.0.117.msi',
    'test case TC-4.1.2.3-b passed',
    'metadata at 169.254.169.254, SSDP on 239.255.255.250',
    'exported on 04-11-2024 and again on 05.12.2024',
    'timecode 02.03.14.21 marks the cut',
    'specimen 214-55-9012 was re-tested',
    'drawing 305-41-2210 rev D',
    '',
  ])('finds nothing in the look-alike %j', (text) => {
    expect(found(text)).toEqual([]);
  });

  // Each rule of the v4 round, as a real value next to the look-alike it must leave alone.
  it.each([
    // A version-shaped four-part number (small first three parts) is an address only where the
    // clause speaks of hosts or connections, or a port, prefix or URL marks it.
    ['pii.ip_address', 'ping 4.2.2.2 from the office', '4.2.2.2', 'Updated to 4.3.2.1 yesterday'],
    ['pii.ip_address', 'client 1.2.4.9 is still allowed', '1.2.4.9', 'Sprint 12.3.4.5 retro notes'],
    ['pii.ip_address', 'curl http://3.8.12.7/health', '3.8.12.7', 'docker pull registry/app:1.24.3.9'],
    ['pii.ip_address', 'blocked 2.5.8.14:443 twice', '2.5.8.14', 'Product: Acme Widget 2.5.1.3 (x64)'],
    ['pii.ip_address', 'the 10.0.0.7 box is back', '10.0.0.7', 'the 6.0.0.7 build is back'],
    [
      'pii.ip_address',
      'logins from 41.58.12.7 today',
      '41.58.12.7',
      'NuGet restored Newtonsoft.Json 13.0.3.1',
    ],
    // A spelled-out address ends in a public top-level domain, like a written one.
    [
      'pii.email',
      'helen.marsh [at] northwind [dot] de',
      'helen.marsh [at] northwind [dot] de',
      'user [at] host [dot] local',
    ],
    ['pii.email', 'ping li [at] example [dot] cn', 'li [at] example [dot] cn', 'ping me [at] 10 [dot] 30'],
    // A noun or an identifier key of another kind, or a quantity, takes the number from the phone.
    [
      'pii.phone',
      'Customer phone number (718) 555-0188',
      '(718) 555-0188',
      'Membership number (718) 555-0199',
    ],
    ['pii.phone', 'phone_number: "415-555-2671"', '415-555-2671', '{"order_id": "415-555-2671"}'],
    ['pii.phone', 'PhoneNo=646-437-2290', '646-437-2290', 'orderId=646-437-2290 status=shipped'],
    ['pii.phone', 'Phone no. 212-555-0187', '212-555-0187', 'Voucher code 212-555-0187 expires'],
    ['pii.phone', 'call 415 555 2671 today', '415 555 2671', 'Read 415 555 2671 bytes from disk'],
    ['pii.phone', 'text 212-555-0187 later', '212-555-0187', 'The diff adds 212-555-0187 lines'],
    ['pii.phone', 'fax 212 555 0187 please', '212 555 0187', 'Budget 212 555 0187 USD'],
    ['pii.phone', 'my cell 650.253.0000', '650.253.0000', 'Number of rows: 650.253.0000'],
    ['pii.phone', 'call 212.555.0187', '212.555.0187', 'Coordinates 212.5550187, 40.7128'],
    // A key ending in "id" names a record's identifier; a card's own noun wins over a bare "#".
    [
      'pii.payment_card',
      'card_number: 4716108999716531',
      '4716108999716531',
      '{"user_id": 4716108999716531}',
    ],
    ['pii.payment_card', 'Visa #4111 1111 1111 1111', '4111 1111 1111 1111', 'accountId: 4539578763621486'],
    [
      'pii.payment_card',
      'actually full number 4242424242424242',
      '4242424242424242',
      'txn_id=4539578763621486',
    ],
    // Spaced SSNs need an SSN word (three table columns read the same); nouns of another kind win.
    ['pii.us_ssn', 'ssn: 536 22 8740', '536 22 8740', 'Sum of the three columns: 536 22 8740'],
    ['pii.us_ssn', 'SSN# 536-22-8740', '536-22-8740', 'Warranty no. 536-22-8740 covers parts'],
    ['pii.us_ssn', 'taxpayer id 536-22-8740', '536-22-8740', 'Certificate number 219-44-1907 was issued'],
    ['pii.us_ssn', 'tax_id: 536-22-8740', '536-22-8740', 'claimNo=536-22-8740&status=open'],
    ['pii.us_ssn', 'my ssn 536-22-8740 please', '536-22-8740', 'badge number 536-22-8740'],
  ])('finds %s in %j, nothing in the look-alike beside it', findsValueNotLookAlike);

  // A user on a numbered host is still an address when nothing says it is a login: a mailbox missed
  // leaks a person, a login redacted costs a word.
  it.each([
    'write to ana@web2.example.com',
    'cc anna@mail2.example.com',
    'log in as netadmin@core-sw2.lab.example.com',
  ])('finds the address in %j', (text) => {
    expect(found(text).map(([ruleId]) => ruleId)).toEqual(['pii.email']);
  });

  // Each rule of the v5 round, as a real value next to the look-alike it must leave alone.
  it.each([
    // The target of a login, copy or Kerberos command is a login, up to the next separator or the
    // end of the sentence; so are a client's user flag and a login with a port.
    [
      'pii.email',
      'ssh web-3 uptime || mail -s down ana.reyes@example.org',
      'ana.reyes@example.org',
      'ssh deploy@staging.example.net uptime',
    ],
    [
      'pii.email',
      'send it to drop@files.example.com',
      'drop@files.example.com',
      'sftp -P 2022 drop@files.example.com',
    ],
    [
      'pii.email',
      'kinit svc@CORP.EXAMPLE.COM fails, can you check? ana.reyes@example.org',
      'ana.reyes@example.org',
      'kinit -kt etl.keytab svc-etl@CORP.EXAMPLE.COM',
    ],
    [
      'pii.email',
      'mail ops@example.net: they know',
      'ops@example.net',
      'ProxyJump ops@jump.example.net:2222',
    ],
    [
      'pii.email',
      'psql -U admin -c "select * from users where email = \'bob@example.com\'"',
      'bob@example.com',
      'psql -U admin@orders-db.postgres.database.azure.com -d orders',
    ],
    [
      'pii.email',
      'From: Ana <ana@example.org>',
      'ana@example.org',
      'Message-ID: <20251207.4F2A@mx1.example.com>',
    ],
    // A key names the value after it; a generic key ("number") defers to its object's key.
    [
      'pii.payment_card',
      '{"card": {"number": "4111 1111 1111 1111"}}',
      '4111 1111 1111 1111',
      '{"invoice": {"number": "4111 1111 1111 1111"}}',
    ],
    [
      'pii.payment_card',
      '{"pan": "4716108999716531"}',
      '4716108999716531',
      '{"cursor": "4716108999716531", "has_more": true}',
    ],
    [
      'pii.payment_card',
      'cc=4716108999716531',
      '4716108999716531',
      '{"ids": [4111111111111111, 4716108999716531]}',
    ],
    // The words after a number name its kind, as the words before it do.
    [
      'pii.payment_card',
      '4111 1111 1111 1111 is my card',
      '4111 1111 1111 1111',
      '4111 1111 1111 1111 is the shipment id from the carrier',
    ],
    [
      'pii.payment_card',
      '4111 1111 1111 1111 is the one I used',
      '4111 1111 1111 1111',
      "4111 1111 1111 1111: that's the loyalty number on the fob",
    ],
    [
      'pii.us_ssn',
      'my SSN 536-22-8740 (the one on file)',
      '536-22-8740',
      'filed 536-22-8740 (the building permit)',
    ],
    ['pii.us_ssn', '536-22-8740 is my social security number', '536-22-8740', '483-22-1907 lot failed QC'],
    ['pii.us_ssn', '{"ssn": "536-22-8740"}', '536-22-8740', '{"bin": "536-22-8740", "zone": "C"}'],
    // A table's column header names its cells.
    ['pii.us_ssn', 'name,ssn\nAna Reyes,536-22-8740', '536-22-8740', 'part,desc\n536-22-8740,hex bolt'],
    [
      'pii.iban',
      'name,iban\nAna,DE89370400440532013000',
      'DE89370400440532013000',
      'sku,name\nDE89370400440532013000,pump',
    ],
    [
      'pii.iban',
      "DE89 3704 0044 0532 0130 00 is the landlord's account",
      'DE89 3704 0044 0532 0130 00',
      'DE89 3704 0044 0532 0130 00 is the part number of the pump',
    ],
    [
      'pii.iban',
      '"iban": "GB29NWBK60161331926819"',
      'GB29NWBK60161331926819',
      '{"requestId": "GB29NWBK60161331926819"}',
    ],
    // A git tag is a version; hex pairs joined by colons are bytes, not an IPv6 address.
    ['pii.ip_address', 'curl http://6.3.2.1/health', '6.3.2.1', 'git push origin refs/tags/6.3.2.1'],
    [
      'pii.ip_address',
      'host 2001:db8:85a3::8a2e:370:7334 down',
      '2001:db8:85a3::8a2e:370:7334',
      'HBA port WWN 50:06:01:60:3b:a0:12:34',
    ],
  ])('finds %s in %j, nothing in the look-alike beside it (v5)', findsValueNotLookAlike);

  // Each rule of the v6 round, as a real value next to the look-alike it must leave alone.
  it.each([
    // A Kerberos service principal (service/host@REALM) is no mailbox; a capitalised address is one.
    [
      'pii.email',
      'write to ana.reyes@EXAMPLE.ORG or see https://example.org/x',
      'ana.reyes@EXAMPLE.ORG',
      'principal HTTP/web01.corp.example.com@CORP.EXAMPLE.COM',
    ],
    // A quantity is no card, whatever its checksum and prefix.
    [
      'pii.payment_card',
      'used 4111 1111 1111 1111 yesterday',
      '4111 1111 1111 1111',
      'committed offset 4111800199228371',
    ],
    // A scheme's acronym names the number, and the next items of its list; a region does not.
    ['pii.phone', 'APAC +65 6123 4567', '+65 6123 4567', 'NDC 50090-287-50 and 0781-5180-01'],
    ['pii.phone', 'CALL 415-555-0132', '415-555-0132', 'NPI 1234567893'],
    ['pii.phone', 'NOC +1 415 555 0132', '+1 415 555 0132', 'NDC 0002-3227-30'],
    // A noun right before an SSN-shaped number names its kind, unless it is the SSN's or its owner's.
    ['pii.us_ssn', 'Applicant 536-22-1847', '536-22-1847', 'Route 128-09-2231 closed'],
  ])('finds %s in %j, nothing in the look-alike beside it (v6)', findsValueNotLookAlike);

  // Each rule of the v7 round, as a real value next to the look-alike it must leave alone.
  it.each([
    // PN, P/N and MPN abbreviate "part number", S/N "serial number".
    ['pii.us_ssn', 'SSN 334-12-0457 on file', '334-12-0457', 'Part PN 334-12-0457 replaces the old one'],
    ['pii.us_ssn', 'Spouse 334-12-0457', '334-12-0457', 'P/N 334-12-0457, S/N 512-38-0091'],
    // An OID starts with 0, 1 or 2: in a clause about OIDs, a dotted number that does not is a host.
    [
      'pii.ip_address',
      'SNMP walk of OID 1.3.6.1.2.1.1.5 on 192.0.2.44 timed out',
      '192.0.2.44',
      'OID 2.5.4.3 names the CN',
    ],
  ])('finds %s in %j, nothing in the look-alike beside it (v7)', findsValueNotLookAlike);

  it('finds every SSN of a list, after a verb or a pronoun too', () => {
    expect(found('my SSN is 536-22-1847 and hers 412-61-3907')).toEqual([
      ['pii.us_ssn', '536-22-1847'],
      ['pii.us_ssn', '412-61-3907'],
    ]);
    expect(found('SSN number 536-22-1847')).toEqual([['pii.us_ssn', '536-22-1847']]);
  });

  it('reads a dotted number the text once calls a version as that version everywhere in it', () => {
    expect(found('git push origin refs/tags/6.3.2.1 && gh release create 6.3.2.1')).toEqual([]);
    expect(found('ssh 81.2.69.160 && ping 81.2.69.160')).toEqual([
      ['pii.ip_address', '81.2.69.160'],
      ['pii.ip_address', '81.2.69.160'],
    ]);
  });

  it('finds both ends of an address range (digits on both sides of the dash are no file name)', () => {
    expect(found('VPN pool 81.2.69.161-81.2.69.170')).toEqual([
      ['pii.ip_address', '81.2.69.161'],
      ['pii.ip_address', '81.2.69.170'],
    ]);
  });

  it('gives a card the digits, not a phone number, when both could claim them', () => {
    expect(found('pay with 4012-8888-8888-1881')).toEqual([['pii.payment_card', '4012-8888-8888-1881']]);
  });

  it('gives equal values written differently the same canonical form', () => {
    const [a, b] = sut.detect('+1 415-555-2671 or (415) 555 2671', { defaultPhoneRegion: 'US' });
    expect(a.canonical).toBe('+14155552671');
    expect(b.canonical).toBe('+14155552671');
  });

  it('finds a number written twice at both places, parsed once per check', () => {
    const text = 'call (415) 555-2671, again: (415) 555-2671';
    const detections = sut.detect(text, { defaultPhoneRegion: 'US' });
    expect(detections.map((d) => [d.start, d.canonical])).toEqual([
      [5, '+14155552671'],
      [28, '+14155552671'],
    ]);
  });

  it('does not re-read an explicit +country number in the fallback regions', () => {
    expect(found('+1 030 1234 5678')).toEqual([]);
  });

  it('survives lone surrogates and replacement characters', () => {
    expect(found('\uD800 mail a@example.org \uFFFD\uDC00')).toEqual([['pii.email', 'a@example.org']]);
  });
});

describe('Luhn and issuer prefixes', () => {
  it.each([
    ['4111111111111111', true],
    ['4111111111111112', false],
    ['79927398713', true],
  ])('passesLuhn(%s) is %s', (digits, expected) => {
    expect(passesLuhn(digits)).toBe(expected);
  });

  it('rejects a Luhn-valid number no card network issues', () => {
    expect(passesLuhn('1234567812345670')).toBe(true);
    expect(isPaymentCardNumber('1234567812345670')).toBe(false);
  });
});
