/**
 * Issue 12, case 7: n8n's "Retry On Fail" runs the node's execute() again after it threw. Items
 * already submitted (and billed) wait for their existing tasks instead of being submitted again.
 */
import type { FakeAceDataCloud } from '../fake-api/fakeAceDataCloud';
import { startFakeAceDataCloud } from '../fake-api/fakeAceDataCloud';
import { CAT, runEdit, TOKEN } from '../support/nodeRun';

let fake: FakeAceDataCloud;

beforeAll(async () => {
	fake = await startFakeAceDataCloud({ jobDurationMs: 100, validTokens: [TOKEN] });
});
afterEach(() => fake.reset());
afterAll(async () => await fake.close());

const DOG = { imageUrl: 'https://cdn.example.test/input/dog.jpg', prompt: 'A dog on a sofa' };
const retrying = { nodeSettings: { 'Midjourney Edits': { retryOnFail: true, maxTries: 3, waitBetweenTries: 0 } } };

describe('Retry On Fail never re-bills', () => {
	it('2 items, the result links expired before the download, maxTries 3: exactly 2 submissions, every try waits for the same tasks', async () => {
		fake.faults.expiredImages = true;
		const result = await runEdit(fake, [{ json: CAT }, { json: DOG }], { output: 'grid', options: { pollIntervalSeconds: 1 } }, retrying);
		expect(result.status).toBe('error');
		expect(result.error?.message).toMatch(/Downloading the result image failed/);
		expect(fake.count('POST', '/midjourney/edits')).toBe(2);
		// Three tries looked the same two tasks up (the retries did run).
		const lookedUp = fake.tasksRequestsFor('retrieve_batch').flatMap((entry) => (entry.body as { ids: string[] }).ids);
		expect(new Set(lookedUp)).toEqual(new Set(fake.tasks.keys()));
		expect(fake.count('GET', /^\/results\//)).toBeGreaterThanOrEqual(3);
	}, 60_000);

	it('once the retry succeeds, the output holds the tasks of the first try', async () => {
		fake.faults.downloadFailures = 2; // the first try's grid download fails twice (its own retry too)
		const result = await runEdit(fake, [{ json: CAT }], { output: 'grid', options: { pollIntervalSeconds: 1 } }, retrying);
		expect(result.status).toBe('success');
		expect(fake.count('POST', '/midjourney/edits')).toBe(1);
		expect(result.nodeOutputs('Midjourney Edits')[0].json.task_id).toBe([...fake.tasks.keys()][0]);
	}, 60_000);

	it('a submission that failed with a 5xx (the task may exist and be billed) is not sent again by a retry', async () => {
		fake.faults.submitServerError = 1;
		fake.faults.serverErrorCreatesTask = true;
		const result = await runEdit(fake, [{ json: CAT }], { options: { pollIntervalSeconds: 1 } }, retrying);
		expect(result.status).toBe('error');
		expect(result.error?.message).toMatch(/not submitted again/);
		expect(String((result.error as { description?: string }).description)).toMatch(/Get Many \(Task resource\)/);
		expect(fake.count('POST', '/midjourney/edits')).toBe(1);
	}, 60_000);

	it('a later execution with the same input submits again (the memory is per execution)', async () => {
		await runEdit(fake, [{ json: CAT }], { options: { pollIntervalSeconds: 1 } }, retrying);
		await runEdit(fake, [{ json: CAT }], { options: { pollIntervalSeconds: 1 } }, retrying);
		expect(fake.count('POST', '/midjourney/edits')).toBe(2);
	}, 60_000);
});
