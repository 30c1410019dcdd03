/**
 * Issue 12: Task → Get / Get Many never output signature material of a callback link (ours or
 * n8n's own), and do not copy a megabyte mask into every output item.
 */
import { signCallbackUrl } from '../../nodes/shared/callbackSignature';
import type { FakeAceDataCloud } from '../fake-api/fakeAceDataCloud';
import { startFakeAceDataCloud } from '../fake-api/fakeAceDataCloud';
import { runEdit, TOKEN } from '../support/nodeRun';

let fake: FakeAceDataCloud;

beforeAll(async () => {
	fake = await startFakeAceDataCloud({ jobDurationMs: 50, validTokens: [TOKEN] });
});
afterEach(() => fake.reset());
afterAll(async () => await fake.close());

const RESUME_URL = 'https://n8n.example.test/webhook-waiting/7?signature=0123456789abcdef';
const MASK = 'A'.repeat(400_000);

async function taskWithSignedCallback(): Promise<string> {
	fake.faults.callbackMode = 'never';
	const response = await fetch(`${fake.url}/midjourney/edits`, {
		method: 'POST',
		headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
		body: JSON.stringify({
			action: 'generate',
			image_url: 'https://cdn.example.test/a.png',
			prompt: 'p',
			mask: MASK,
			callback_url: signCallbackUrl(RESUME_URL, TOKEN),
		}),
	});
	return ((await response.json()) as { task_id: string }).task_id;
}

describe('task records in the output', () => {
	it.each([
		['Get', (taskId: string) => ({ resource: 'task', operation: 'get', taskId })],
		['Get Many', (taskId: string) => ({ resource: 'task', operation: 'getMany', taskIds: taskId })],
	])('Task → %s strips signature parameters from request.callback_url and abbreviates the mask', async (_name, parameters) => {
		const taskId = await taskWithSignedCallback();
		const result = await runEdit(fake, [{ json: {} }], parameters(taskId));
		expect(result.status).toBe('success');
		const [item] = result.nodeOutputs('Midjourney Edits');
		const request = item.json.request as Record<string, unknown>;
		expect(request.callback_url).toBe('https://n8n.example.test/webhook-waiting/7');
		expect(JSON.stringify(item.json)).not.toMatch(/mj_sig|mj_nonce|signature=/);
		expect(request.mask).toBe(`(mask omitted: ${MASK.length} base64 characters)`);
		expect(JSON.stringify(item.json).length).toBeLessThan(10_000);
	});
});
