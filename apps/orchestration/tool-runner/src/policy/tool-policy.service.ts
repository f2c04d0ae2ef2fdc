// Owns who may use which tool: the tenant's allowlist (or the default one), narrowed by the API key's
// own list when it has one; which tools wait for confirmation for this tenant; and which hosts the
// tenant's http tools may reach (the platform list, narrowed by the tenant's).
import { isHostAllowed } from '../net/address.guard';
import type { AnyToolDeclaration, ToolCaller } from '../registry/tool.model';
import type { TenantToolPolicy, ToolPolicyFile } from './tool-policy.loader';

export class ToolPolicyService {
  constructor(
    private readonly policy: ToolPolicyFile,
    private readonly platformHosts: readonly string[],
  ) {}

  isAllowed(caller: ToolCaller, toolName: string): boolean {
    const tenant = this.tenantPolicy(caller.tenantId);
    if (!matches(tenant.allow, toolName)) return false;
    const key = caller.apiKeyId ? tenant.apiKeys[caller.apiKeyId] : undefined;
    return key ? matches(key.allow, toolName) : true;
  }

  requiresConfirmation(caller: ToolCaller, tool: AnyToolDeclaration): boolean {
    return tool.requiresConfirmation || matches(this.tenantPolicy(caller.tenantId).confirm, tool.name);
  }

  allowedHosts(caller: ToolCaller): string[] {
    const tenantHosts = this.tenantPolicy(caller.tenantId).httpHosts;
    if (!tenantHosts) return [...this.platformHosts];
    // A tenant entry counts only where the platform list allows the same host.
    return tenantHosts.filter((host) =>
      isHostAllowed(host.startsWith('*.') ? `x${host.slice(1)}` : host, this.platformHosts),
    );
  }

  private tenantPolicy(tenantId: string): TenantToolPolicy {
    return this.policy.tenants[tenantId] ?? this.policy.tenants['default'];
  }
}

function matches(list: readonly string[], name: string): boolean {
  return list.includes('*') || list.includes(name);
}
