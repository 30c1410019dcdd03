/** Issue 16: adaptive submission and pipelined polling, in a whole workflow run against the fake. */
import type { FakeAceDataCloud } from '../fake-api/fakeAceDataCloud';
import { startFakeAceDataCloud } from '../fake-api/fakeAceDataCloud';
import type { HoldingProxy, HoldingProxyOptions } from '../support/holdingProxy';
import { startHoldingProxy } from '../support/holdingProxy';
import { catItems, runEdit, TOKEN } from '../support/nodeRun';

const EDITS = '/midjourney/edits';
const TASKS = '/midjourney/tasks';

let fake: FakeAceDataCloud;
beforeAll(async () => {
	fake = await startFakeAceDataCloud({ jobDurationMs: 1500, validTokens: [TOKEN] });
});
afterEach(() => fake.reset());
afterAll(async () => await fake.close());


async function runThroughProxy(
	count: number,
	options: Record<string, unknown>,
	proxyOptions: (proxy: () => HoldingProxy) => HoldingProxyOptions = () => ({}),
) {
	// The options may look at the proxy they configure (its counts), once it has started.
	const started: { proxy?: HoldingProxy } = {};
	const proxy = await startHoldingProxy(fake.url, proxyOptions(() => started.proxy!));
	started.proxy = proxy;
	try {
		const result = await runEdit(fake, catItems(count), { options: { pollIntervalSeconds: 1, timeoutSeconds: 120, ...options } }, {
			credentials: { aceDataCloudApi: { apiToken: TOKEN, baseUrl: proxy.url, platformBaseUrl: proxy.url } },
		});
		return { result, proxy };
	} finally {
		await proxy.close();
	}
}

/** Every item came out once, in order, as its own succeeded task; every task was submitted (and billed) once. */
function expectEveryItemOnce(result: Awaited<ReturnType<typeof runEdit>>, count: number) {
	expect(result.status).toBe('success');
	const output = result.nodeOutputs('Midjourney Edits');
	expect(output).toHaveLength(count);
	expect(output.map((item) => item.pairedItem)).toEqual(Array.from({ length: count }, (_, item) => ({ item })));
	expect(output.every((item) => item.json.success === true)).toBe(true);
	expect(new Set(output.map((item) => item.json.task_id)).size).toBe(count);
	expect(fake.tasks.size).toBe(count);
	const prompts = [...fake.tasks.values()].map((task) => String(task.record.request.prompt));
	expect(new Set(prompts).size).toBe(count);
}

describe('adaptive submission', () => {
	it('grows beyond Concurrency while the API accepts (no 429), up to Max Concurrency and never above', async () => {
		fake.faults.jobDurationMs = 100;
		// Every answer takes a while, so submissions of one round trip overlap and can be counted.
		fake.faults.responseDelayMs = 300;
		const { result, proxy } = await runThroughProxy(40, { concurrency: 2, maxConcurrency: 6 });
		expectEveryItemOnce(result, 40);
		expect(fake.count('POST', EDITS)).toBe(40);
		expect(proxy.peak(EDITS)).toBe(6);
	}, 60_000);

	it('with the default options, 100 submissions go out at once and the window grows past 100 while the API accepts', async () => {
		fake.faults.jobDurationMs = 100;
		// Every answer takes a while, so the submissions of one round trip overlap and can be counted.
		fake.faults.responseDelayMs = 500;
		const total = 250;
		// Submissions are held until 100 have arrived. Whether 100 were open before the API had answered
		// any is noted; a node that starts lower gets its first ones through only by the hold's timeout.
		let hundredAtOnce = false;
		const { result, proxy } = await runThroughProxy(total, {}, (proxy) => ({
			holdAtMostMs: 3000,
			releaseWhen: (path) => {
				if (path !== EDITS) return true;
				const arrived = proxy().arrived(EDITS);
				if (arrived >= 100 && proxy().inFlight(EDITS) === arrived) hundredAtOnce = true;
				return arrived >= 100;
			},
		}));
		expectEveryItemOnce(result, total);
		expect(hundredAtOnce).toBe(true);
		// 100, then up to 200 (Max Concurrency) in the second round trip: more than started.
		expect(proxy.peak(EDITS)).toBeGreaterThan(100);
		expect(proxy.peak(EDITS)).toBeLessThanOrEqual(200);
	}, 90_000);

	it('a 429 storm (the API takes only 2 submissions a second): no item lost, none submitted twice, and no herd of retries after each pause', async () => {
		fake.faults.jobDurationMs = 100;
		fake.faults.submitsPerSecond = 2;
		fake.faults.retryAfterSeconds = 1;
		// 16 items at once compete for 2 places a second: some lose the race many times in a row.
		const { result } = await runThroughProxy(16, { concurrency: 16 });
		expectEveryItemOnce(result, 16);
		const submits = fake.requests.filter((entry) => entry.path === EDITS);
		expect(submits.filter((entry) => entry.status === 200)).toHaveLength(16);
		// The storm did happen, and the node backed off instead of giving items up.
		const refused = submits.filter((entry) => entry.status === 429).length;
		expect(refused).toBeGreaterThan(0);
		// The first burst of 16 meets 2 places (14 refused). After it the window is what the API took
		// (2) and a refused item waits for a place: about one refusal a pause as the window probes
		// upwards, not every refused item again at each pause's end (14 + 12 + 10 + ... = 56).
		expect(refused).toBeLessThanOrEqual(14 + 16);
	}, 90_000);
});

describe('pipelined polling', () => {
	it('polls the first tasks while the last submission is still on its way, one request per round for all', async () => {
		fake.faults.jobDurationMs = 200;
		const total = 6;
		// The last submission is held until the node has asked for task records: a node that polls
		// only after its last submission never does, and the hold gives up after 30 s instead.
		const { result, proxy } = await runThroughProxy(
			total,
			{ concurrency: 1, maxConcurrency: 1 },
			(proxy) => ({
				holdAtMostMs: 30_000,
				releaseWhen: (path) => {
					if (path !== EDITS || proxy().arrived(EDITS) < total) return true;
					// Re-asked whenever a request arrives or is answered: released once the API has seen a poll.
					return fake.requests.some((entry) => entry.path === TASKS);
				},
			}),
		);
		expectEveryItemOnce(result, total);
		// In the order the API saw them: a poll came before the last submission.
		const firstPoll = fake.requests.findIndex((entry) => entry.path === TASKS);
		const lastSubmit = fake.requests.map((entry) => entry.path).lastIndexOf(EDITS);
		expect(firstPoll).toBeGreaterThanOrEqual(0);
		expect(firstPoll).toBeLessThan(lastSubmit);
		expect(proxy.arrived(EDITS)).toBe(total);
		// Each round is one retrieve_batch for every unfinished task, never one request per task.
		const lookups = fake.tasksRequestsFor('retrieve_batch');
		expect(fake.tasksRequestsFor('retrieve')).toHaveLength(0);
		expect(lookups.length).toBeLessThan(total);
		expect(lookups.some((entry) => (entry.body as { ids: string[] }).ids.length > 1)).toBe(true);
	}, 90_000);
});
