/** Adaptive submission (issue 16): the limit grows while the API accepts, halves on a 429, stays within the max. */
import { AdaptiveLimit, mapWithAdaptiveConcurrency, RateLimitGate } from '../../nodes/shared/pacing';

/**
 * Runs `count` tasks through mapWithAdaptiveConcurrency; tasks finish only when the test releases them,
 * so concurrency is counted, never timed. `release` answers every running task (a "round trip")
 * and returns how many were running.
 */
function controlledBatch(count: number, limit: AdaptiveLimit) {
	const waiting: Array<() => void> = [];
	const started: number[] = [];
	let running = 0;
	let peak = 0;
	const done = mapWithAdaptiveConcurrency(
		Array.from({ length: count }, (_, index) => index),
		limit,
		async (index) => {
			running++;
			peak = Math.max(peak, running);
			started.push(index);
			await new Promise<void>((resolve) => waiting.push(resolve));
			running--;
			return index * 10;
		},
	);
	const settle = async () => {
		for (let turn = 0; turn < 20; turn++) await Promise.resolve();
	};
	return {
		done,
		started,
		running: () => running,
		peak: () => peak,
		/** Answers every running task; returns how many that were. */
		async roundTrip(before?: () => void): Promise<number> {
			await settle();
			const open = waiting.splice(0);
			before?.();
			for (const answer of open) answer();
			await settle();
			return open.length;
		},
	};
}

describe('adaptive submission concurrency', () => {
	it('starts at Concurrency and grows while the API accepts: the window quadruples every round trip', async () => {
		const batch = controlledBatch(40, new AdaptiveLimit(2, 50));
		const windows: number[] = [];
		while (batch.started.length < 40 || batch.running() > 0) windows.push(await batch.roundTrip());
		// Doubling would take five round trips (2, 4, 8, 16, 10).
		expect(windows).toEqual([2, 8, 30]);
		expect(await batch.done).toEqual(Array.from({ length: 40 }, (_, index) => index * 10));
	});

	it('never runs more than the max at once', async () => {
		const limit = new AdaptiveLimit(2, 6);
		const batch = controlledBatch(30, limit);
		const windows: number[] = [];
		while (batch.started.length < 30 || batch.running() > 0) windows.push(await batch.roundTrip());
		expect(Math.max(...windows)).toBe(6);
		expect(batch.peak()).toBe(6);
		expect(limit.peak).toBe(6);
		await batch.done;
	});

	it('halves on a 429 (once per pause of the shared gate), then grows by one per window', async () => {
		const gate = new RateLimitGate();
		const limit = new AdaptiveLimit(4, 50, gate);
		const batch = controlledBatch(60, limit);
		expect(await batch.roundTrip()).toBe(4);
		// Three 429s arrive in the same round trip: one halving, not three.
		expect(
			await batch.roundTrip(() => {
				gate.slowDown(60_000);
				gate.slowDown(60_000);
				gate.slowDown(60_000);
			}),
		).toBe(16);
		expect(limit.halvings).toBe(1);
		// 16 after the first round trip (4 + 3 × 4), halved to 8, then 16 accepted submissions at one per window: 8 + 1 + 1/9 + ...
		const windows: number[] = [];
		for (let round = 0; round < 3; round++) windows.push(await batch.roundTrip());
		expect(windows[0]).toBe(9);
		expect(windows[1]).toBe(10);
		expect(windows[2]).toBe(11);
		expect(gate.rateLimitedCount).toBe(3);
		while (batch.started.length < 60 || batch.running() > 0) await batch.roundTrip();
		expect(new Set(batch.started).size).toBe(60);
		await batch.done;
	});

	it('never drops below one', () => {
		const gate = new RateLimitGate();
		const limit = new AdaptiveLimit(2, 50, gate);
		for (let storm = 0; storm < 5; storm++) gate.slowDown(0);
		expect(limit.current).toBe(1);
	});
});

/** Whether `promise` settles within `simulatedMs` of jest's fake clock. */
async function settlesWithin(promise: Promise<void>, simulatedMs: number): Promise<boolean> {
	let settled = false;
	void promise.then(() => (settled = true));
	await jest.advanceTimersByTimeAsync(simulatedMs);
	return settled;
}

describe('the batch back-off after a 429 without Retry-After (simulated time)', () => {
	beforeEach(() => jest.useFakeTimers());
	afterEach(() => jest.useRealTimers());

	it('follows the batch, not the refused item: after accepted submissions, an item refused for the fifth time pauses the batch about 1 s, not 16 s', async () => {
		const gate = new RateLimitGate();
		const limit = new AdaptiveLimit(20, 200, gate);
		gate.slowDown(1000, true);
		await jest.advanceTimersByTimeAsync(1500);
		limit.accepted();
		// The transport's own back-off for a fifth 429 in a row of one item: 16 s.
		gate.slowDown(16_000, true);
		expect(await settlesWithin(gate.waitForTurn(), 1300)).toBe(true);
	});

	it('grows with each pause in a row that no accepted submission ended: 1 s, 2 s, 4 s', async () => {
		const gate = new RateLimitGate();
		for (let pause = 1; pause <= 2; pause++) {
			gate.slowDown(0, true);
			expect(await settlesWithin(gate.waitForTurn(), 3000)).toBe(true);
		}
		gate.slowDown(0, true);
		// The third pause in a row: 4 s (jitter ±20 %), so still paused after 3 s.
		expect(await settlesWithin(gate.waitForTurn(), 3000)).toBe(false);
		expect(await settlesWithin(gate.waitForTurn(), 2000)).toBe(true);
	});

	it('a Retry-After is honoured as the API said', async () => {
		const gate = new RateLimitGate();
		new AdaptiveLimit(20, 200, gate).accepted();
		gate.slowDown(5000);
		expect(await settlesWithin(gate.waitForTurn(), 4000)).toBe(false);
		expect(await settlesWithin(gate.waitForTurn(), 2000)).toBe(true);
	});
});
