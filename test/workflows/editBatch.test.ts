/** Many items: bounded concurrency, one poll request per round, shared backoff, unknown ids. */
import type { FakeAceDataCloud } from '../fake-api/fakeAceDataCloud';
import { startFakeAceDataCloud } from '../fake-api/fakeAceDataCloud';
import { startHoldingProxy } from '../support/holdingProxy';
import { catItems, runEdit, TOKEN } from '../support/nodeRun';

const EDITS = '/midjourney/edits';

let fake: FakeAceDataCloud;
beforeAll(async () => {
	fake = await startFakeAceDataCloud({ jobDurationMs: 1500, validTokens: [TOKEN] });
});
afterEach(() => fake.reset());
afterAll(async () => await fake.close());


describe('batches', () => {
	it('a very large batch: every item once, in order, with at most one tasks request per 50 tasks per round', async () => {
		fake.faults.jobDurationMs = 300;
		const input = catItems(120);
		const result = await runEdit(fake, input, { options: { pollIntervalSeconds: 1, timeoutSeconds: 60, concurrency: 20 } });
		expect(result.status).toBe('success');
		const output = result.nodeOutputs('Midjourney Edits');
		expect(output).toHaveLength(120);
		expect(output.map((item) => item.pairedItem)).toEqual(input.map((_, item) => ({ item })));
		expect(new Set(output.map((item) => item.json.task_id)).size).toBe(120);
		expect(fake.count('POST', '/midjourney/edits')).toBe(120);
		// Split the poll requests into rounds (a round asks for each pending task once, so a repeated id
		// starts the next round); each round asks for every pending task in ceil(pending / 50) requests.
		const rounds: string[][][] = [];
		for (const entry of fake.tasksRequestsFor('retrieve_batch')) {
			const ids = (entry.body as { ids: string[] }).ids;
			const round = rounds.at(-1);
			if (!round || round.flat().some((id) => ids.includes(id))) rounds.push([ids]);
			else round.push(ids);
		}
		expect(rounds[0].flat().sort()).toEqual([...fake.tasks.keys()].sort());
		for (const round of rounds) {
			expect(round.every((ids) => ids.length <= 50)).toBe(true);
			expect(round).toHaveLength(Math.ceil(round.flat().length / 50));
		}
	}, 60_000);

	it('submits with bounded concurrency: never more than "Concurrency" (= Max Concurrency) submissions open at once, and that many are used', async () => {
		fake.faults.jobDurationMs = 100;
		const total = 9;
		const limit = 3;
		// Each submission is held until `limit` are open (or the last ones have come), so a node that
		// sends more at once shows a peak above the limit, and one that sends fewer never fills the hold.
		const proxy = await startHoldingProxy(fake.url, {
			releaseWhen: (path) => path !== EDITS || proxy.inFlight(EDITS) >= limit || proxy.arrived(EDITS) === total,
		});
		try {
			const result = await runEdit(fake, catItems(total), { options: { pollIntervalSeconds: 1, concurrency: limit, maxConcurrency: limit } }, {
				credentials: { aceDataCloudApi: { apiToken: TOKEN, baseUrl: proxy.url, platformBaseUrl: proxy.url } },
			});
			expect(result.status).toBe('success');
			expect(proxy.arrived(EDITS)).toBe(total);
			expect(proxy.peak(EDITS)).toBe(limit);
		} finally {
			await proxy.close();
		}
	});

	it('a 429 slows the whole batch down instead of each item hammering the API', async () => {
		fake.faults.jobDurationMs = 100;
		fake.faults.submitRateLimit = 3;
		fake.faults.retryAfterSeconds = 1;
		const result = await runEdit(fake, catItems(10), { options: { pollIntervalSeconds: 1, concurrency: 5 } });
		expect(result.status).toBe('success');
		expect(fake.tasks.size).toBe(10);
		const submits = fake.requests.filter((entry) => entry.path === '/midjourney/edits');
		expect(submits.filter((entry) => entry.status === 429)).toHaveLength(3);
		expect(submits).toHaveLength(13);
		// The first five (one per concurrent slot) were in flight together. Every later submission, also
		// the next items of the slots whose first submission succeeded, waited for the Retry-After second
		// from the moment the first 429 arrived (a lower bound: a busy machine only makes it later).
		const firstLimited = submits.find((entry) => entry.status === 429)!.at;
		const later = submits.slice(5);
		expect(later).toHaveLength(8);
		for (const entry of later) expect(entry.at - firstLimited).toBeGreaterThanOrEqual(950);
	});

	it('a task the API forgets ({} / left out of the batch) times out saying so, the others succeed', async () => {
		fake.faults.neverFinish = true;
		const run = runEdit(fake, catItems(3), { options: { pollIntervalSeconds: 1, timeoutSeconds: 3 } }, {
			nodeSettings: { 'Midjourney Edits': { onError: 'continueRegularOutput' } },
		});
		const ids = await fake.waitFor(() => (fake.tasks.size === 3 ? [...fake.tasks.keys()] : undefined), 30_000);
		fake.finishTask(ids[0]);
		fake.finishTask(ids[2]);
		fake.tasks.delete(ids[1]);
		const output = (await run).nodeOutputs('Midjourney Edits');
		expect(output).toHaveLength(3);
		expect(output[0].json).toMatchObject({ success: true, task_id: ids[0] });
		expect(output[1].json).toMatchObject({ task_id: ids[1] });
		expect(output[1].json.error).toMatch(/did not finish within 3 seconds \(the API no longer knows this task ID\)/);
		expect(output[2].json).toMatchObject({ success: true, task_id: ids[2] });
	});

	it('per-item timeouts: a slow task times out alone and lists its id; nothing is lost or duplicated', async () => {
		fake.faults.neverFinish = true;
		const run = runEdit(fake, catItems(4), { options: { pollIntervalSeconds: 1, timeoutSeconds: 3 } }, {
			nodeSettings: { 'Midjourney Edits': { onError: 'continueRegularOutput' } },
		});
		const ids = await fake.waitFor(() => (fake.tasks.size === 4 ? [...fake.tasks.keys()] : undefined), 30_000);
		for (const index of [0, 1, 3]) fake.finishTask(ids[index]);
		const output = (await run).nodeOutputs('Midjourney Edits');
		expect(output.map((item) => item.pairedItem)).toEqual([0, 1, 2, 3].map((item) => ({ item })));
		expect(output.map((item) => item.json.task_id)).toEqual(ids);
		expect(output.filter((item) => item.json.success === true)).toHaveLength(3);
		expect(output[2].json.error).toMatch(/did not finish within 3 seconds \(last seen: running\)/);
	});
});
