/**
 * Issue 12, case 4: a signature is bound to scheme, host and path, and trigger links and resume
 * links are signed with separate keys.
 */
import { createHmac } from 'crypto';

import { SIGNATURE_PARAMS, signCallbackUrl, verifyCallbackSignature, withoutSignature } from '../../nodes/shared/callbackSignature';

const TOKEN = 'token-for-signing-tests';
const OWN_TRIGGER = 'https://n8n.example.test/webhook/0f6d2c1e/callback';

const queryOf = (url: string) => Object.fromEntries(new URL(url).searchParams.entries());
const verifyAt = (ownUrl: string, signed: string) => verifyCallbackSignature(ownUrl, queryOf(signed), TOKEN, { maxAgeSeconds: 3600 });

describe('signature binding', () => {
	it('a signature minted for another host (the same path) is void on ours', () => {
		const minted = signCallbackUrl('https://attacker.example/webhook/0f6d2c1e/callback', TOKEN);
		expect(verifyAt(OWN_TRIGGER, minted)).toEqual({ valid: false, reason: 'mismatch' });
		const mintedResume = signCallbackUrl('https://attacker.example/webhook-waiting/41', TOKEN);
		expect(verifyAt('https://n8n.example.test/webhook-waiting/41', mintedResume)).toEqual({ valid: false, reason: 'mismatch' });
	});

	it('the scheme and the port are bound too', () => {
		const signed = signCallbackUrl(OWN_TRIGGER, TOKEN);
		expect(verifyAt(OWN_TRIGGER, signed)).toEqual({ valid: true });
		expect(verifyAt(OWN_TRIGGER.replace('https:', 'http:'), signed)).toEqual({ valid: false, reason: 'mismatch' });
		expect(verifyAt(OWN_TRIGGER.replace('n8n.example.test', 'n8n.example.test:8443'), signed)).toEqual({ valid: false, reason: 'mismatch' });
	});

	it('trigger and resume links use separate keys: the old single-key signature of a resume link is refused', () => {
		const resume = 'https://n8n.example.test/webhook-waiting/41';
		const signed = new URL(signCallbackUrl(resume, TOKEN));
		const nonce = signed.searchParams.get(SIGNATURE_PARAMS.nonce)!;
		const timestamp = signed.searchParams.get(SIGNATURE_PARAMS.timestamp)!;
		const identity = 'https://n8n.example.test/webhook-waiting/41';
		const sign = (label: string) =>
			createHmac('sha256', createHmac('sha256', TOKEN).update(label).digest()).update(`${nonce}.${timestamp}.${identity}`).digest('hex');
		const withSignature = (signature: string) => {
			const url = new URL(signed.toString());
			url.searchParams.set(SIGNATURE_PARAMS.signature, signature);
			return url.toString();
		};
		expect(verifyAt(resume, withSignature(sign('n8n-nodes-midjourney-edits/callback-signing/resume/v2')))).toEqual({ valid: true });
		expect(verifyAt(resume, withSignature(sign('n8n-nodes-midjourney-edits/callback-signing/trigger/v2')))).toEqual({ valid: false, reason: 'mismatch' });
		expect(verifyAt(resume, withSignature(sign('n8n-nodes-midjourney-edits/callback-signing/v1')))).toEqual({ valid: false, reason: 'mismatch' });
	});

	it('verifies a resume link that carries n8n 2.x\'s own signature parameter beside ours', () => {
		const signed = signCallbackUrl('https://n8n.example.test/webhook-waiting/41?signature=n8n-own-token', TOKEN);
		expect(queryOf(signed).signature).toBe('n8n-own-token');
		expect(verifyAt('https://n8n.example.test/webhook-waiting/41', signed)).toEqual({ valid: true });
	});

	it('withoutSignature removes ours and n8n\'s signature parameters and keeps the rest', () => {
		const signed = signCallbackUrl('https://n8n.example.test/webhook-waiting/41?signature=abc&keep=1', TOKEN);
		expect(withoutSignature(signed)).toBe('https://n8n.example.test/webhook-waiting/41?keep=1');
	});
});
