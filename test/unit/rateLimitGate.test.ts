/**
 * Issue 12, case 6: a rate-limit pause is bounded, and ends by the batch's deadline. Simulated time
 * (jest's fake timers), so nothing here depends on the machine's speed.
 */
import { MAX_GATE_PAUSE_MS, RateLimitGate } from '../../nodes/shared/pacing';

beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

async function settlesWithin(promise: Promise<void>, simulatedMs: number): Promise<boolean> {
	let settled = false;
	void promise.then(() => (settled = true));
	await jest.advanceTimersByTimeAsync(simulatedMs);
	return settled;
}

describe('RateLimitGate', () => {
	it('a Retry-After of a day pauses a batch at most MAX_GATE_PAUSE_MS', async () => {
		const gate = new RateLimitGate();
		gate.slowDown(86_400_000);
		expect(await settlesWithin(gate.waitForTurn(), MAX_GATE_PAUSE_MS + 1000)).toBe(true);
	});

	it('an Infinity wait is bounded too', async () => {
		const gate = new RateLimitGate();
		gate.slowDown(Infinity);
		expect(await settlesWithin(gate.waitForTurn(), MAX_GATE_PAUSE_MS + 1000)).toBe(true);
	});

	it('no pause reaches past the deadline it was given', async () => {
		const gate = new RateLimitGate();
		gate.endPausesBy(Date.now() + 2000);
		gate.slowDown(60_000);
		expect(await settlesWithin(gate.waitForTurn(), 3000)).toBe(true);
	});

	it('a pause below the bound is honoured', async () => {
		const gate = new RateLimitGate();
		gate.slowDown(10_000);
		expect(await settlesWithin(gate.waitForTurn(), 5000)).toBe(false);
		await jest.advanceTimersByTimeAsync(6000);
	});
});
