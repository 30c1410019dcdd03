/* eslint-disable @n8n/community-nodes/no-restricted-globals -- runs in Node (tests, dev tools), never inside n8n; not published; see scripts/lint-headers.mjs */
/**
 * The n8n versions the e2e suites run against, and what each needs on our machines. The default is
 * scripts/provision-n8n.sh's pinned 2.41.1 (on a Node 24 from the registry); the 1.x LTS line runs on
 * this machine's Node 20. Nothing here depends on jest.
 */

/** The 1.x LTS version tested (newest 1.123 patch on the registry when written); N8N_1X_VERSION overrides. */
export const N8N_1X_VERSION = process.env.N8N_1X_VERSION ?? '1.123.81';

export function isN8n1x(version: string | undefined): boolean {
	return version?.startsWith('1.') ?? false;
}

/**
 * What n8n 1.x needs in its environment here (empty for 2.x):
 * - 2.x's module names (N8N_DISABLED_MODULES in n8nInstance.ts) mean nothing to 1.x;
 * - 1.123's default expression engine ('vm') needs isolated-vm 6, which supports Node >= 22 only (no
 *   Node 20 build, and it does not compile for Node 20): on Node 20, n8n 1.123.81 exits at start
 *   ("Could not initialize the vm expression engine") unless the previous engine is chosen.
 */
export function n8nEnvironmentFor(version: string | undefined): Record<string, string> {
	if (!isN8n1x(version)) return {};
	return { N8N_DISABLED_MODULES: '', N8N_EXPRESSION_ENGINE: 'legacy' };
}

/**
 * Extra credential fields for n8n's public API: 1.123 adds "Allowed HTTP Request Domains" to every
 * credential type, and its public API's schema then demands `allowedDomains` unless
 * `allowedHttpRequestDomains` is given (any credential type, not only ours).
 */
export function credentialExtrasFor(version: string | undefined): Record<string, unknown> {
	return isN8n1x(version) ? { allowedHttpRequestDomains: 'all' } : {};
}
