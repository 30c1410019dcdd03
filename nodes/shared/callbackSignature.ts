import { createHmac, randomBytes, timingSafeEqual } from 'crypto';

/**
 * Callback URLs are signed so that someone who only learns a trigger's URL cannot post into a
 * workflow, and cannot make it look tasks up at will. The key is derived from the API token in the
 * shared credential (both nodes have it), so the token itself never appears in a URL. The signature
 * covers a nonce, the signing time and the link's identity: scheme, host and the webhook's own path
 * (see linkIdentityOf). The time lets the trigger refuse very old links.
 *
 * Trigger links and "Wait for Callback" resume links are signed with different keys (the label
 * below), so one kind of link can never be turned into the other.
 */
export const SIGNATURE_PARAMS = { nonce: 'mj_nonce', timestamp: 'mj_ts', signature: 'mj_sig' } as const;

export type CallbackLinkKind = 'trigger' | 'resume';

const DERIVATION_LABELS: Record<CallbackLinkKind, string> = {
	trigger: 'n8n-nodes-midjourney-edits/callback-signing/trigger/v2',
	resume: 'n8n-nodes-midjourney-edits/callback-signing/resume/v2',
};

function signingKey(apiToken: string, kind: CallbackLinkKind): Buffer {
	return createHmac('sha256', apiToken).update(DERIVATION_LABELS[kind]).digest();
}

const WAITING_PATH = /\/webhook-waiting\/(.+)$/;
const TRIGGER_PATH = /\/webhook(?:-test)?\/(.+)$/;

/** Which kind of n8n link a path is: a waiting execution's resume URL, a trigger's webhook, or neither. */
export function callbackLinkKindOf(pathname: string): CallbackLinkKind | undefined {
	if (WAITING_PATH.test(pathname)) return 'resume';
	if (TRIGGER_PATH.test(pathname)) return 'trigger';
	return undefined;
}

/**
 * The part of a callback URL's path that a signature is bound to. For a trigger: what follows
 * `/webhook/` or `/webhook-test/` (so a production and a test URL of one trigger verify alike, and a
 * base path in front of n8n does not matter). For a waiting execution's resume URL: the execution
 * id, kept apart from trigger paths by its prefix, so one execution's link cannot resume another.
 */
export function webhookIdentityOf(pathname: string): string {
	const waiting = WAITING_PATH.exec(pathname);
	if (waiting) return `webhook-waiting/${waiting[1].replace(/^\/+|\/+$/g, '')}`;
	const match = TRIGGER_PATH.exec(pathname);
	return (match ? match[1] : pathname).replace(/^\/+|\/+$/g, '');
}

/** Scheme + host (with port) + webhook path: a signature minted for one host is void on another. */
function linkIdentityOf(url: URL): string {
	return `${url.protocol}//${url.host.toLowerCase()}/${webhookIdentityOf(url.pathname)}`;
}

function expectedSignature(apiToken: string, nonce: string, timestamp: string, url: URL): string {
	const kind = callbackLinkKindOf(url.pathname) ?? 'trigger';
	return createHmac('sha256', signingKey(apiToken, kind))
		.update(`${nonce}.${timestamp}.${linkIdentityOf(url)}`)
		.digest('hex');
}

/** Adds our signature parameters to an n8n trigger or resume URL (n8n's own query is kept). */
export function signCallbackUrl(url: string, apiToken: string, now = Date.now()): string {
	const parsed = new URL(url);
	for (const name of Object.values(SIGNATURE_PARAMS)) parsed.searchParams.delete(name);
	const nonce = randomBytes(12).toString('hex');
	const timestamp = String(Math.floor(now / 1000));
	parsed.searchParams.set(SIGNATURE_PARAMS.nonce, nonce);
	parsed.searchParams.set(SIGNATURE_PARAMS.timestamp, timestamp);
	parsed.searchParams.set(SIGNATURE_PARAMS.signature, expectedSignature(apiToken, nonce, timestamp, parsed));
	return parsed.toString();
}

export type SignatureCheck =
	| { valid: true }
	| { valid: false; reason: 'missing' | 'malformed' | 'mismatch' | 'expired' };

/**
 * Checks the signature parameters of a request against the URL the receiving node knows as its
 * own (`ownUrl`: scheme, host and path as n8n configured them, not as the request claims).
 */
export function verifyCallbackSignature(
	ownUrl: string,
	query: Record<string, unknown>,
	apiToken: string,
	options: { maxAgeSeconds: number; now?: number },
): SignatureCheck {
	const nonce = query[SIGNATURE_PARAMS.nonce];
	const timestamp = query[SIGNATURE_PARAMS.timestamp];
	const signature = query[SIGNATURE_PARAMS.signature];
	if (nonce === undefined && timestamp === undefined && signature === undefined) {
		return { valid: false, reason: 'missing' };
	}
	let own: URL;
	try {
		own = new URL(ownUrl);
	} catch {
		return { valid: false, reason: 'mismatch' };
	}
	if (
		typeof nonce !== 'string' ||
		typeof timestamp !== 'string' ||
		typeof signature !== 'string' ||
		!/^[0-9a-f]{24}$/.test(nonce) ||
		!/^\d{1,12}$/.test(timestamp) ||
		!/^[0-9a-f]{64}$/.test(signature)
	) {
		return { valid: false, reason: 'malformed' };
	}
	const expected = Buffer.from(expectedSignature(apiToken, nonce, timestamp, own), 'hex');
	if (!timingSafeEqual(expected, Buffer.from(signature, 'hex'))) {
		return { valid: false, reason: 'mismatch' };
	}
	const ageSeconds = ((options.now ?? Date.now()) / 1000) - Number(timestamp);
	if (options.maxAgeSeconds > 0 && (ageSeconds > options.maxAgeSeconds || ageSeconds < -300)) {
		return { valid: false, reason: 'expired' };
	}
	return { valid: true };
}

/** Query parameters that carry signature material: ours and n8n 2.x's own resume token. */
export const SIGNATURE_QUERY_NAMES: readonly string[] = [...Object.values(SIGNATURE_PARAMS), 'signature'];

/** A URL with every signature parameter removed (for output: a record's request.callback_url). */
export function withoutSignature(url: string): string {
	let parsed: URL;
	try {
		parsed = new URL(url);
	} catch {
		return url;
	}
	for (const name of SIGNATURE_QUERY_NAMES) parsed.searchParams.delete(name);
	return parsed.toString();
}

/**
 * True for addresses the API plainly cannot reach: localhost, loopback, private and link-local
 * ranges, `.local`/`.internal` names. Anything else may be public, so it is allowed.
 */
export function isPlainlyPrivateUrl(url: string): boolean {
	let host: string;
	try {
		host = new URL(url).hostname.toLowerCase().replace(/^\[|\]$/g, '');
	} catch {
		return false;
	}
	if (host === 'localhost' || host.endsWith('.localhost') || host.endsWith('.local') || host.endsWith('.internal')) {
		return true;
	}
	if (host === '::1' || host === '::' || /^f[cd][0-9a-f]{2}:/.test(host) || host.startsWith('fe80:')) return true;
	const ipv4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
	if (!ipv4) return false;
	const [a, b] = [Number(ipv4[1]), Number(ipv4[2])];
	return (
		a === 127 ||
		a === 10 ||
		a === 0 ||
		(a === 172 && b >= 16 && b <= 31) ||
		(a === 192 && b === 168) ||
		(a === 169 && b === 254) ||
		(a === 100 && b >= 64 && b <= 127)
	);
}
