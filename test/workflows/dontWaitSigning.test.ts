/**
 * Issue 12, case 4 at node level: "Don't Wait" signs only a trigger's URL; it refuses a waiting
 * execution's resume URL and never mints a signature for another tool's URL.
 */
import { SIGNATURE_PARAMS } from '../../nodes/shared/callbackSignature';
import type { FakeAceDataCloud } from '../fake-api/fakeAceDataCloud';
import { startFakeAceDataCloud } from '../fake-api/fakeAceDataCloud';
import { CAT, runEdit, TOKEN } from '../support/nodeRun';

let fake: FakeAceDataCloud;

beforeAll(async () => {
	fake = await startFakeAceDataCloud({ jobDurationMs: 50, validTokens: [TOKEN] });
	fake.faults.callbackMode = 'never';
});
afterEach(() => {
	fake.reset();
	fake.faults.callbackMode = 'never';
});
afterAll(async () => await fake.close());

const submittedCallbackUrl = () =>
	String((fake.requests.find((entry) => entry.path === '/midjourney/edits')!.body as Record<string, unknown>).callback_url);

describe("Don't Wait with a Callback URL", () => {
	it.each([
		'https://attacker.example/webhook-waiting/1',
		'https://n8n.example.com/webhook-waiting/41?signature=abc',
		'https://n8n.example.com/base/webhook-waiting/41/extra',
	])('refuses a resume URL (%s) with an error naming "Callback URL", before any request', async (callbackUrl) => {
		const result = await runEdit(fake, [{ json: CAT }], { waitMode: 'none', options: { callbackUrl } });
		expect(result.status).toBe('error');
		expect(result.error?.message).toMatch(/'Callback URL' must be a Midjourney Edits Trigger's URL/);
		expect(fake.requests).toHaveLength(0);
	});

	it('signs a trigger URL', async () => {
		const result = await runEdit(fake, [{ json: CAT }], { waitMode: 'none', options: { callbackUrl: 'https://n8n.example.com/webhook/abc/callback' } });
		expect(result.status).toBe('success');
		expect(new URL(submittedCallbackUrl()).searchParams.get(SIGNATURE_PARAMS.signature)).toMatch(/^[0-9a-f]{64}$/);
	});

	it('sends another tool\'s URL as given, without minting a signature for it', async () => {
		const callbackUrl = 'https://hooks.example.com/midjourney?source=shop';
		const result = await runEdit(fake, [{ json: CAT }], { waitMode: 'none', options: { callbackUrl } });
		expect(result.status).toBe('success');
		expect(submittedCallbackUrl()).toBe(callbackUrl);
	});
});
