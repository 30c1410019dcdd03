/** Adaptive submission (issue 16): the limit grows while the API accepts, halves on a 429, stays within the max. */
import { AdaptiveLimit, ExecutionCancelledSignal, mapWithAdaptiveConcurrency, RateLimitGate } from '../../nodes/shared/pacing';

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

	it('on a 429 drops to what the API accepted in the last second (once per pause of the shared gate), then grows by one per window', async () => {
		jest.useFakeTimers();
		try {
			const gate = new RateLimitGate();
			const limit = new AdaptiveLimit(4, 50, gate);
			const batch = controlledBatch(120, limit);
			expect(await batch.roundTrip()).toBe(4);
			// Three 429s arrive in the same round trip: one decrease, not three.
			expect(
				await batch.roundTrip(() => {
					gate.slowDown(1000);
					gate.slowDown(1000);
					gate.slowDown(1000);
				}),
			).toBe(16);
			// 16 after the first round trip (4 + 3 × 4); the 429 came when the API had taken 4 in the last
			// second (down to 4, not 16 / 2 = 8), and the 16 answers of that round came during the pause:
			// one more each, but no more than the round sent (16).
			expect(limit.decreases).toBe(1);
			expect(limit.current).toBe(16);
			await jest.advanceTimersByTimeAsync(1000);
			// After the pause, one more per window of accepted submissions: 16 + 1/16 + 1/16.06 + ...
			const windows: number[] = [];
			for (let round = 0; round < 4; round++) windows.push(await batch.roundTrip());
			expect(windows).toEqual([16, 16, 17, 18]);
			expect(gate.rateLimitedCount).toBe(3);
			while (batch.started.length < 120 || batch.running() > 0) await batch.roundTrip();
			expect(new Set(batch.started).size).toBe(120);
			await batch.done;
		} finally {
			jest.useRealTimers();
		}
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

/**
 * A batch against an API that takes `perRound` submissions a round and refuses the rest with a 429
 * (no Retry-After); each task retries like the transport does, through the gate it is given. The test
 * answers every open request at once ("a round") and moves the fake clock on between rounds.
 */
function rateLimitedBatch(count: number, limit: AdaptiveLimit, perRound: number | (() => number)) {
	const open: Array<(accepted: boolean) => void> = [];
	let refused = 0;
	const done = mapWithAdaptiveConcurrency(
		Array.from({ length: count }, (_, index) => index),
		limit,
		async (index, _position, gate) => {
			for (;;) {
				await gate.waitForTurn();
				if (await new Promise<boolean>((resolve) => open.push(resolve))) return index;
				refused++;
				gate.slowDown(0, true);
			}
		},
	);
	let finished = false;
	void done.then(
		() => (finished = true),
		() => undefined,
	);
	return {
		done,
		finished: () => finished,
		refused: () => refused,
		/** Answers every open request (the first `perRound` accepted); returns how many were open. */
		async round(): Promise<number> {
			await jest.advanceTimersByTimeAsync(0);
			const answers = open.splice(0);
			const takes = typeof perRound === 'number' ? perRound : perRound();
			answers.forEach((answer, position) => answer(position < takes));
			await jest.advanceTimersByTimeAsync(0);
			return answers.length;
		},
	};
}

describe('adaptive submission under a rate limit (simulated time)', () => {
	beforeEach(() => jest.useFakeTimers());
	afterEach(() => jest.useRealTimers());

	it('a 429 drops the window to what the API took in the last second, not to half of it', () => {
		const gate = new RateLimitGate();
		const limit = new AdaptiveLimit(100, 200, gate);
		for (let taken = 0; taken < 10; taken++) limit.accepted();
		expect(limit.current).toBe(130);
		gate.slowDown(0, true);
		expect(limit.current).toBe(10);
	});

	it('refused submissions give their place back: after the first burst, each pause releases at most the window, never every refused item', async () => {
		const gate = new RateLimitGate();
		const limit = new AdaptiveLimit(100, 200, gate);
		// The API takes 10 a round; a round every 1.3 s of simulated time (past the longest first back-off, 1.2 s).
		const batch = rateLimitedBatch(100, limit, 10);
		const sentPerRound: number[] = [];
		for (let round = 0; round < 40 && !batch.finished(); round++) {
			sentPerRound.push(await batch.round());
			await jest.advanceTimersByTimeAsync(1300);
		}
		expect(batch.finished()).toBe(true);
		expect(await batch.done).toEqual(Array.from({ length: 100 }, (_, index) => index));
		// The first burst of 100 costs 90 refusals; after it, at most the window (10, plus one more
		// as it grows) goes out a round, instead of every refused item (90, 80, 70 ...: 450 refusals).
		expect(sentPerRound[0]).toBe(100);
		expect(Math.max(...sentPerRound.slice(1))).toBeLessThanOrEqual(11);
		expect(batch.refused()).toBeLessThanOrEqual(90 + 10);
	});

	it('after a 429, at most the window starts per second however fast the API answers', async () => {
		const gate = new RateLimitGate();
		const limit = new AdaptiveLimit(4, 50, gate);
		let takes = 2;
		const batch = rateLimitedBatch(40, limit, () => takes);
		// 4 sent, the API takes 2: the window drops to 2.
		expect(await batch.round()).toBe(4);
		expect(limit.current).toBe(2);
		await jest.advanceTimersByTimeAsync(1300);
		// From now on the API takes everything and answers at once (no simulated time passes): a window
		// of open requests alone would let round after round through within the same instant.
		takes = 1000;
		let sent = 0;
		for (let round = 0; round < 10; round++) sent += await batch.round();
		expect(sent).toBeLessThanOrEqual(3);
		await jest.advanceTimersByTimeAsync(1200);
		expect(await batch.round()).toBeGreaterThan(0);
		while (!batch.finished()) {
			await batch.round();
			await jest.advanceTimersByTimeAsync(1200);
		}
		expect(await batch.done).toHaveLength(40);
	});

	it('a stopped execution ends the items waiting for a place during a long pause within a fraction of a second', async () => {
		const stop = new AbortController();
		const gate = new RateLimitGate(stop.signal);
		const limit = new AdaptiveLimit(2, 2, gate);
		// The API takes nothing: both items are refused and wait for a place again.
		const batch = rateLimitedBatch(4, limit, 0);
		expect(await batch.round()).toBe(2);
		gate.slowDown(60_000);
		let outcome: unknown;
		batch.done.catch((error: unknown) => (outcome = error));
		stop.abort();
		await jest.advanceTimersByTimeAsync(1000);
		expect(outcome).toBeInstanceOf(ExecutionCancelledSignal);
	});
});

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
