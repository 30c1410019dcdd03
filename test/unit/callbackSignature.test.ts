import {
	isPlainlyPrivateUrl,
	SIGNATURE_PARAMS,
	signCallbackUrl,
	verifyCallbackSignature,
	webhookIdentityOf,
} from '../../nodes/shared/callbackSignature';

const TOKEN = 'token-for-signing-tests';
const TRIGGER_URL = 'https://n8n.example.test/webhook/0f6d2c1e-7d7b-4d8e-9a55-1c2b3d4e5f60/callback';

function queryOf(url: string): Record<string, string> {
	return Object.fromEntries(new URL(url).searchParams.entries());
}

function verify(url: string, token = TOKEN, maxAgeSeconds = 3600, now?: number) {
	const parsed = new URL(url);
	return verifyCallbackSignature(`${parsed.origin}${parsed.pathname}`, queryOf(url), token, { maxAgeSeconds, now });
}

describe('signCallbackUrl / verifyCallbackSignature', () => {
	it('accepts a URL it signed, and keeps the URL usable', () => {
		const signed = signCallbackUrl(TRIGGER_URL, TOKEN);
		expect(signed.startsWith(`${TRIGGER_URL}?`)).toBe(true);
		expect(Object.keys(queryOf(signed)).sort()).toEqual(Object.values(SIGNATURE_PARAMS).sort());
		expect(verify(signed)).toEqual({ valid: true });
	});

	it('never puts the token in the URL', () => {
		expect(signCallbackUrl(TRIGGER_URL, TOKEN)).not.toContain(TOKEN);
	});

	it('keeps the existing query and replaces stale signature parameters', () => {
		const once = signCallbackUrl(`${TRIGGER_URL}?source=shop`, TOKEN);
		const twice = signCallbackUrl(once, TOKEN);
		expect(new URL(twice).searchParams.getAll(SIGNATURE_PARAMS.signature)).toHaveLength(1);
		expect(queryOf(twice).source).toBe('shop');
		expect(verify(twice)).toEqual({ valid: true });
	});

	it('reports a callback without signature as missing', () => {
		expect(verify(TRIGGER_URL)).toEqual({ valid: false, reason: 'missing' });
	});

	it('rejects a tampered signature, nonce or timestamp', () => {
		const signed = new URL(signCallbackUrl(TRIGGER_URL, TOKEN));
		for (const name of Object.values(SIGNATURE_PARAMS)) {
			const tampered = new URL(signed.toString());
			const value = tampered.searchParams.get(name)!;
			const last = value.slice(-1);
			tampered.searchParams.set(name, value.slice(0, -1) + (last === '0' ? '1' : '0'));
			expect(verify(tampered.toString())).toEqual({ valid: false, reason: 'mismatch' });
		}
	});

	it('rejects malformed parameters without comparing', () => {
		const signed = new URL(signCallbackUrl(TRIGGER_URL, TOKEN));
		signed.searchParams.set(SIGNATURE_PARAMS.signature, 'not-hex');
		expect(verify(signed.toString())).toEqual({ valid: false, reason: 'malformed' });
		const partial = new URL(TRIGGER_URL);
		partial.searchParams.set(SIGNATURE_PARAMS.nonce, 'a'.repeat(24));
		expect(verify(partial.toString())).toEqual({ valid: false, reason: 'malformed' });
	});

	it('rejects a signature made with another token', () => {
		const signed = signCallbackUrl(TRIGGER_URL, 'someone-elses-token');
		expect(verify(signed)).toEqual({ valid: false, reason: 'mismatch' });
	});

	it('rejects a signature made for another trigger', () => {
		const signed = new URL(signCallbackUrl(TRIGGER_URL, TOKEN));
		const other = new URL(signed.toString().replace('0f6d2c1e', '11111111'));
		expect(verify(other.toString())).toEqual({ valid: false, reason: 'mismatch' });
	});

	it('treats the test and production URL of one trigger alike, behind any base path', () => {
		const signed = signCallbackUrl(TRIGGER_URL, TOKEN);
		const viaTestUrl = signed.replace('/webhook/', '/webhook-test/');
		expect(verify(viaTestUrl)).toEqual({ valid: true });
		expect(webhookIdentityOf('/n8n/webhook/abc/callback')).toBe('abc/callback');
	});

	it('binds a resume URL to its execution, whatever n8n adds to the query or puts in front', () => {
		const resumeUrl = 'https://n8n.example.test/webhook-waiting/41?signature=n8n-own-token';
		const signed = signCallbackUrl(resumeUrl, TOKEN);
		expect(new URL(signed).searchParams.get('signature')).toBe('n8n-own-token');
		expect(verify(signed)).toEqual({ valid: true });
		expect(webhookIdentityOf('/base/webhook-waiting/41')).toBe('webhook-waiting/41');
		const otherExecution = signed.replace('/webhook-waiting/41', '/webhook-waiting/42');
		expect(verify(otherExecution)).toEqual({ valid: false, reason: 'mismatch' });
		// A trigger whose path looked like an execution id must not share its signatures.
		expect(webhookIdentityOf('/webhook/41')).not.toBe(webhookIdentityOf('/webhook-waiting/41'));
	});

	it('refuses a replayed URL older than the allowed age', () => {
		const signedAt = Date.UTC(2026, 0, 1);
		const signed = signCallbackUrl(TRIGGER_URL, TOKEN, signedAt);
		expect(verify(signed, TOKEN, 3600, signedAt + 30 * 60_000)).toEqual({ valid: true });
		expect(verify(signed, TOKEN, 3600, signedAt + 2 * 3600_000)).toEqual({ valid: false, reason: 'expired' });
		expect(verify(signed, TOKEN, 0, signedAt + 1000 * 3600_000)).toEqual({ valid: true });
	});
});

describe('isPlainlyPrivateUrl', () => {
	it.each([
		'http://localhost:5678/webhook-waiting/1',
		'http://127.0.0.1/x',
		'http://10.1.2.3/x',
		'http://172.20.0.5/x',
		'http://192.168.1.10/x',
		'http://169.254.1.1/x',
		'http://[::1]:5678/x',
		'http://n8n.local/x',
		'http://n8n.internal/x',
	])('%s is private', (url) => expect(isPlainlyPrivateUrl(url)).toBe(true));

	it.each(['https://n8n.example.com/webhook/x', 'http://8.8.8.8/x', 'http://172.32.0.1/x'])(
		'%s may be public',
		(url) => expect(isPlainlyPrivateUrl(url)).toBe(false),
	);
});
