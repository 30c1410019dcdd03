/* eslint-disable @n8n/community-nodes/no-restricted-globals -- runs in Node (tests, dev tools), never inside n8n; not published; see scripts/lint-headers.mjs */
/**
 * When TaskPoller's rounds come (issue 16), on jest's fake clock: tasks added while the batch is
 * still being submitted, and which of them each tasks request asks for.
 */
import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';

import { TaskPoller } from '../../nodes/shared/taskPoller';

/** A context whose API answers every retrieve_batch with "still running" records, logging the ids asked. */
function apiContext(asked: string[][]): IExecuteFunctions {
	return {
		getNode: () => ({ name: 'Midjourney Edits', type: 'midjourneyEdits', typeVersion: 1, position: [0, 0], parameters: {} }),
		getCredentials: async () => ({ apiToken: 'test-token', baseUrl: 'https://api.example.test', platformBaseUrl: 'https://api.example.test' }),
		helpers: {
			httpRequestWithAuthentication: async (_type: string, request: { body: IDataObject }) => {
				const ids = request.body.ids as string[];
				asked.push(ids);
				return { statusCode: 200, headers: {}, body: { count: ids.length, items: ids.map((id) => ({ id, _id: id, created_at: 1 })) } };
			},
		},
	} as unknown as IExecuteFunctions;
}

/** done() once abandoned: the poller may be inside a pause, which the fake clock must run out. */
async function finishes(poller: TaskPoller): Promise<void> {
	const done = poller.done();
	await jest.advanceTimersByTimeAsync(2000);
	await done;
}

const task = (taskId: string) => ({ taskId, deadline: Date.now() + 600_000 });

describe('TaskPoller rounds', () => {
	beforeEach(() => jest.useFakeTimers({ now: 1_000_000 }));
	afterEach(() => jest.useRealTimers());

	it('a batch accepted within one interval is polled together, one interval after its latest task', async () => {
		const asked: string[][] = [];
		const poller = new TaskPoller(apiContext(asked), { intervalMs: 1000 });
		poller.add(task('a'));
		await jest.advanceTimersByTimeAsync(600);
		poller.add(task('b'));
		await jest.advanceTimersByTimeAsync(600);
		poller.add(task('c'));
		// 1.2 s after the first task: a poller on the first task's cadence would have asked for a and b alone.
		expect(asked).toEqual([]);
		await jest.advanceTimersByTimeAsync(1000);
		expect(asked).toEqual([['a', 'b', 'c']]);
		await jest.advanceTimersByTimeAsync(1000);
		expect(asked).toEqual([['a', 'b', 'c'], ['a', 'b', 'c']]);
		poller.abandon();
		await finishes(poller);
	});

	it('a long submission phase is polled while it runs: the first round comes two intervals after the first task at the latest', async () => {
		const asked: string[][] = [];
		const poller = new TaskPoller(apiContext(asked), { intervalMs: 1000 });
		for (let index = 0; index < 5; index++) {
			poller.add(task(`t${index}`));
			await jest.advanceTimersByTimeAsync(500);
		}
		// Tasks were added at 0, 0.5, 1.0, 1.5 and 2.0 s: the round at 2.0 s asked for the first four.
		expect(asked[0]).toEqual(['t0', 't1', 't2', 't3']);
		poller.abandon();
		await finishes(poller);
	});

	it('asks for the pages of a round (50 ids each) at the same time, not one after another', async () => {
		const asked: string[][] = [];
		let open = 0;
		let peakOpen = 0;
		const ctx = apiContext(asked);
		const answer = ctx.helpers.httpRequestWithAuthentication as unknown as (type: string, request: unknown) => Promise<unknown>;
		(ctx.helpers as unknown as { httpRequestWithAuthentication: unknown }).httpRequestWithAuthentication = async (type: string, request: unknown) => {
			open++;
			peakOpen = Math.max(peakOpen, open);
			// Every answer takes half a second, like a slow API.
			await new Promise((resolve) => setTimeout(resolve, 500));
			open--;
			return await answer(type, request);
		};
		const poller = new TaskPoller(ctx, { intervalMs: 1000 });
		for (let index = 0; index < 120; index++) poller.add(task(`t${index}`));
		await jest.advanceTimersByTimeAsync(1600);
		expect(asked.map((ids) => ids.length)).toEqual([50, 50, 20]);
		expect(peakOpen).toBe(3);
		poller.abandon();
		await finishes(poller);
	});

	it('the next round comes one interval after the previous round was answered, not after it was sent', async () => {
		const asked: string[][] = [];
		const ctx = apiContext(asked);
		const answer = ctx.helpers.httpRequestWithAuthentication as unknown as (type: string, request: unknown) => Promise<unknown>;
		(ctx.helpers as unknown as { httpRequestWithAuthentication: unknown }).httpRequestWithAuthentication = async (type: string, request: unknown) => {
			const answered = await answer(type, request);
			// Every answer takes half a second, like a slow API.
			await new Promise((resolve) => setTimeout(resolve, 500));
			return answered;
		};
		const poller = new TaskPoller(ctx, { intervalMs: 1000 });
		poller.add(task('a'));
		// Sent at 1.0 s, answered at 1.5 s: a cadence from the send would ask again at 2.0 s.
		await jest.advanceTimersByTimeAsync(2200);
		expect(asked).toHaveLength(1);
		await jest.advanceTimersByTimeAsync(400);
		expect(asked).toHaveLength(2);
		poller.abandon();
		await finishes(poller);
	});

	it('a later round also waits one interval after the latest task added, at most two intervals after the previous answer', async () => {
		const asked: string[][] = [];
		const poller = new TaskPoller(apiContext(asked), { intervalMs: 1000 });
		poller.add(task('a'));
		await jest.advanceTimersByTimeAsync(1000);
		expect(asked).toEqual([['a']]);
		// Answered at once (1.0 s); b comes at 1.5 s: a round at 2.0 s would ask for b half an interval after it.
		await jest.advanceTimersByTimeAsync(500);
		poller.add(task('b'));
		await jest.advanceTimersByTimeAsync(700);
		expect(asked).toHaveLength(1);
		await jest.advanceTimersByTimeAsync(400);
		expect(asked).toEqual([['a'], ['a', 'b']]);
		// Tasks keep coming every half second: rounds still come, two intervals after the previous answer.
		for (let index = 0; index < 9; index++) {
			poller.add(task(`c${index}`));
			await jest.advanceTimersByTimeAsync(500);
		}
		expect(asked.length).toBeGreaterThanOrEqual(3);
		poller.abandon();
		await finishes(poller);
	});

	it('once every task is in, the next round waits one interval for the last one, even past the two-interval bound', async () => {
		const asked: string[][] = [];
		const poller = new TaskPoller(apiContext(asked), { intervalMs: 1000 });
		poller.add(task('a'));
		await jest.advanceTimersByTimeAsync(900);
		poller.add(task('b'));
		await jest.advanceTimersByTimeAsync(900);
		poller.add(task('c'));
		const finished = poller.done();
		// Two intervals after a is 2.0 s; the last task came at 1.8 s, so the round comes at 2.8 s.
		await jest.advanceTimersByTimeAsync(700);
		expect(asked).toEqual([]);
		await jest.advanceTimersByTimeAsync(400);
		expect(asked).toEqual([['a', 'b', 'c']]);
		poller.abandon();
		await jest.advanceTimersByTimeAsync(2000);
		await finished;
	});

	it('asks for nothing once abandoned, and done resolves', async () => {
		const asked: string[][] = [];
		const poller = new TaskPoller(apiContext(asked), { intervalMs: 1000 });
		poller.add(task('a'));
		poller.abandon();
		await jest.advanceTimersByTimeAsync(5000);
		await expect(poller.done()).resolves.toEqual(new Map());
		expect(asked).toEqual([]);
	});
});
