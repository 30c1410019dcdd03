import { sleep } from 'n8n-workflow';

export class ExecutionCancelledSignal extends Error {
	constructor() {
		super('The execution was cancelled');
		this.name = 'ExecutionCancelledSignal';
	}
}

/**
 * Waits `ms`, but returns within a fraction of a second when the user stops the execution.
 * n8n's `sleep` cannot be interrupted, so we sleep in short slices and look at the signal between
 * them (community nodes may not use the setTimeout global).
 */
export async function pauseUnlessCancelled(ms: number, signal?: AbortSignal): Promise<void> {
	const SLICE_MS = 250;
	const until = Date.now() + ms;
	throwIfCancelled(signal);
	for (let left = ms; left > 0; left = until - Date.now()) {
		await sleep(Math.min(SLICE_MS, left));
		throwIfCancelled(signal);
	}
}

export function throwIfCancelled(signal?: AbortSignal): void {
	if (signal?.aborted) throw new ExecutionCancelledSignal();
}

/** Exponential backoff with jitter: 1 s, 2 s, 4 s ... capped. */
export function backoffMs(attempt: number, baseMs = 1000, capMs = 30_000): number {
	const exp = Math.min(capMs, baseMs * 2 ** Math.max(0, attempt - 1));
	return Math.round(exp * (0.8 + Math.random() * 0.4));
}

/**
 * Attempts a submission gets while the API answers 429 (which means it did not take it, so re-sending
 * cannot bill twice). High, because under a rate limit the batch as a whole waits at the gate and
 * an item that loses the race for the API's few slots several times must not be lost.
 */
export const RATE_LIMITED_SUBMIT_ATTEMPTS = 30;

/** What the transport needs of a gate: a wait before each attempt, and word of each 429. */
export interface RequestGate {
	waitForTurn(): Promise<void>;
	slowDown(waitMs: number, ownBackoff?: boolean): void;
}

/**
 * One rate-limit gate shared by every request of a batch: when the API answers 429, the whole
 * batch waits (honouring Retry-After) instead of each item hammering the API on its own.
 */
export class RateLimitGate implements RequestGate {
	private pausedUntil = 0;
	private readonly rateLimitListeners: Array<() => void> = [];

	/** Epoch ms after which no pause lasts (the batch's latest item deadline), when known. */
	private notAfter = Infinity;

	/** How many times the API told us to slow down (for logs and the benchmark). */
	rateLimitedCount = 0;

	/** Pauses of the batch's own back-off since the API last accepted a submission. */
	private pausesWithoutProgress = 0;

	constructor(private readonly signal?: AbortSignal) {}

	/** No pause of this gate reaches past `deadline` (the user's timeout ends the wait, not the API). */
	endPausesBy(deadline: number): void {
		this.notAfter = deadline;
	}

	async waitForTurn(): Promise<void> {
		throwIfCancelled(this.signal);
		const wait = this.pauseLeftMs();
		if (wait > 0) await pauseUnlessCancelled(wait, this.signal);
	}

	/** Whether the user stopped the execution (requests waiting for their turn then stop at once). */
	get cancelled(): boolean {
		return this.signal?.aborted ?? false;
	}

	/** How long the batch still waits before its next request (0: not paused). */
	pauseLeftMs(): number {
		return Math.max(0, Math.min(this.pausedUntil, this.notAfter) - Date.now());
	}

	/**
	 * A 429: the whole batch waits `waitMs` (the API's Retry-After). With `ownBackoff` (the 429 said
	 * no Retry-After, as the vendor documents none) the batch backs off on its own schedule instead of
	 * the refused item's: 1 s, 2 s, 4 s ... for each pause in a row without an accepted submission in
	 * between, back to 1 s after one. An item that lost the race for the API's few places five times
	 * must not stop the whole batch for 16 s while the others get through.
	 */
	slowDown(waitMs: number, ownBackoff = false): void {
		this.rateLimitedCount++;
		// The 429s of requests that were already on their way when the first one came tell nothing new:
		// only the first 429 of a pause is reported to the listeners.
		const firstOfPause = Date.now() >= this.pausedUntil;
		if (ownBackoff) {
			if (firstOfPause) this.pausesWithoutProgress++;
			waitMs = backoffMs(this.pausesWithoutProgress, 1000, 60_000);
		}
		const bounded = Number.isFinite(waitMs) ? Math.min(Math.max(0, waitMs), MAX_GATE_PAUSE_MS) : MAX_GATE_PAUSE_MS;
		this.pausedUntil = Math.max(this.pausedUntil, Date.now() + bounded);
		if (firstOfPause) for (const listener of this.rateLimitListeners) listener();
	}

	/** The API accepted a submission: the batch's own back-off starts again from its first step. */
	madeProgress(): void {
		this.pausesWithoutProgress = 0;
	}

	/** Calls `listener` on the first 429 of each pause (an AdaptiveLimit lowers its window there). */
	onRateLimited(listener: () => void): void {
		this.rateLimitListeners.push(listener);
	}
}

/**
 * Default Options → Concurrency: submissions sent at once at the start of a batch. n8n's HTTP Request
 * node sends every item at once, and a user who sets nothing should not wait longer than with that;
 * 100 sends a batch of up to 100 the same way, one API round trip, and bounds the burst an account
 * with a low (undocumented) rate limit sees first: a 429 costs a pause, never a charge.
 */
export const DEFAULT_START_CONCURRENCY = 100;

/** Default Options → Max Concurrency: the most submissions open at once however well the API keeps up. */
export const DEFAULT_MAX_CONCURRENCY = 200;

/**
 * Until the first 429, each accepted submission lets this many more go out: the window grows fourfold
 * every round trip (a Concurrency of 5 reaches 80 in two round trips, not four), so a low Concurrency
 * costs few round trips; a 429 costs only a pause, so overshooting the account's limit is cheap.
 */
export const PROBING_GROWTH_PER_ACCEPTANCE = 3;

/**
 * After the first 429, no more submissions start in any PACING_INTERVAL_MS than the window: what the
 * API took in the second before its 429. An API that answers at once is never slowed down by a window
 * of open requests alone (they end at once), so a rate limit needs a limit in time too; 1 s is the
 * step of the batch's own back-off (the vendor documents no limit and no Retry-After).
 */
export const PACING_INTERVAL_MS = 1000;

/** How often items waiting for a place look whether the user stopped the execution. */
const CANCEL_CHECK_MS = 250;

/**
 * How many submissions may be open at once, found out from the API's answers, because the real
 * account's rate limit is not documented: start at the user's Concurrency, add
 * PROBING_GROWTH_PER_ACCEPTANCE per accepted submission (the window quadruples every round trip)
 * until the first 429. On the first 429 of each pause of the gate, drop to what the API accepted in
 * the last PACING_INTERVAL_MS (what it takes, not half of a window it has just refused), plus the
 * answers of that round still arriving during the pause; after that add one per window of accepted
 * submissions (additive increase) and start at most the window's worth per PACING_INTERVAL_MS.
 * Never above `max`, never below 1.
 *
 * The window counts requests on their way (places), not items: a submission refused with a 429
 * gives its place back and queues again ahead of the items not yet sent, so the end of a pause
 * releases at most the window, never every item that was refused during it (a thundering herd that
 * the API refuses again almost whole).
 */
export class AdaptiveLimit {
	private window: number;
	private probing = true;
	/** When the API accepted the submissions of the last PACING_INTERVAL_MS. */
	private acceptedAt: number[] = [];
	/**
	 * When the API answered the submissions of the last PACING_INTERVAL_MS. The pacing counts a request
	 * from the moment it is sent until one interval after its answer: the API counted it somewhere in
	 * between, and n8n's own work per request delays its arrival by a varying few to 100+ ms.
	 */
	private answeredAt: number[] = [];
	/** The window just before the last 429 lowered it: answers arriving during the pause add up to it. */
	private ceilingWhilePaused = Infinity;
	private placesTaken = 0;
	/** Items waiting for a place: refused ones first (they were sent before). */
	private readonly queue: Array<() => void> = [];
	/** Epoch ms of the wake-up already planned for the queue (0: none). */
	private wakeAt = 0;

	/** The largest limit reached, and how many times a 429 lowered it (for logs and the benchmark). */
	peak: number;
	decreases = 0;

	constructor(
		start: number,
		readonly max: number,
		private readonly gate?: RateLimitGate,
	) {
		this.window = Math.max(1, Math.min(max, start));
		this.peak = this.current;
		gate?.onRateLimited(() => this.rateLimited());
	}

	get current(): number {
		return Math.max(1, Math.floor(this.window));
	}

	accepted(): void {
		this.gate?.madeProgress();
		const now = Date.now();
		this.acceptedAt.push(now);
		this.acceptedAt = this.acceptedAt.filter((at) => at > now - PACING_INTERVAL_MS);
		if (this.probing) {
			this.window = Math.min(this.max, this.window + PROBING_GROWTH_PER_ACCEPTANCE);
		} else if ((this.gate?.pauseLeftMs() ?? 0) > 0) {
			// During a pause, an acceptance is an answer of the round the 429 measured: one more the API
			// took, but never more than that round sent (the 429 may have come at its start).
			this.window = Math.min(this.max, this.ceilingWhilePaused, this.window + 1);
		} else {
			this.window = Math.min(this.max, this.window + 1 / Math.max(1, this.window));
		}
		this.peak = Math.max(this.peak, this.current);
		this.dispatch();
	}

	rateLimited(): void {
		this.probing = false;
		this.decreases++;
		const now = Date.now();
		const tookLately = this.acceptedAt.filter((at) => at > now - PACING_INTERVAL_MS).length;
		this.ceilingWhilePaused = this.window;
		// May be 0 until the round's answers arrive during the pause (`current` is at least 1).
		this.window = Math.min(this.window, tookLately);
	}

	/**
	 * The gate one item's requests go through: each attempt waits for a place in the window (and the
	 * batch's pause); a 429 gives the place back. `release` when the item is done.
	 */
	turnsFor(): RequestGate & { release(): void } {
		let holding = false;
		let refused = false;
		const giveBack = () => {
			if (!holding) return;
			holding = false;
			this.placesTaken--;
			const now = Date.now();
			this.answeredAt.push(now);
			this.answeredAt = this.answeredAt.filter((at) => at > now - PACING_INTERVAL_MS);
			this.dispatch();
		};
		return {
			waitForTurn: async () => {
				if (!holding) {
					await new Promise<void>((resolve) => {
						if (refused) this.queue.unshift(resolve);
						else this.queue.push(resolve);
						this.dispatch();
					});
					holding = true;
				}
				await this.gate?.waitForTurn();
			},
			slowDown: (waitMs: number, ownBackoff?: boolean) => {
				refused = true;
				// The gate first (it lowers the window), then the place, so none is handed out too many.
				this.gate?.slowDown(waitMs, ownBackoff);
				giveBack();
			},
			release: giveBack,
		};
	}

	/** Hands out free places to waiting items, or plans a wake-up for when one frees by time. */
	private dispatch(): void {
		while (this.queue.length > 0 && this.placesTaken < this.current) {
			const wait = this.waitBeforeNextSendMs();
			if (wait > 0) {
				this.wakeUpIn(wait);
				return;
			}
			this.placesTaken++;
			this.queue.shift()!();
		}
	}

	private waitBeforeNextSendMs(): number {
		// A stopped execution: every waiting item takes its turn and ends in the gate's cancellation.
		if (this.gate?.cancelled) return 0;
		const paused = this.gate?.pauseLeftMs() ?? 0;
		if (paused > 0) return paused;
		if (this.probing) return 0;
		const now = Date.now();
		this.answeredAt = this.answeredAt.filter((at) => at > now - PACING_INTERVAL_MS);
		// Places taken are requests on their way: the API counts them too.
		if (this.placesTaken + this.answeredAt.length < this.current || this.answeredAt.length === 0) return 0;
		return this.answeredAt[0] + PACING_INTERVAL_MS - now + 1;
	}

	/** Plans the next look at the queue: in short slices, so a stopped execution is seen within one. */
	private wakeUpIn(ms: number): void {
		const slice = Math.min(ms, CANCEL_CHECK_MS);
		const at = Date.now() + slice;
		if (this.wakeAt !== 0 && this.wakeAt <= at) return;
		this.wakeAt = at;
		void sleep(slice).then(() => {
			if (this.wakeAt === at) this.wakeAt = 0;
			this.dispatch();
		});
	}
}

/**
 * Runs `task` for each element, keeping at most `limit.current` running at once (read again whenever
 * one ends, so the limit may grow or shrink while the batch runs); each task that ends without
 * throwing counts as accepted. A task's requests go through the gate it is given (`limit.turnsFor`),
 * which bounds the requests on their way by the same window. Keeps result order; a task that throws
 * rejects the whole map.
 */
export async function mapWithAdaptiveConcurrency<T, R>(
	elements: readonly T[],
	limit: AdaptiveLimit,
	task: (element: T, index: number, gate: RequestGate) => Promise<R>,
	shouldStop: () => boolean = () => false,
): Promise<R[]> {
	const results = new Array<R>(elements.length);
	let next = 0;
	let running = 0;
	let failed = false;
	return await new Promise<R[]>((resolve, reject) => {
		const fill = () => {
			while (!failed && running < limit.current && next < elements.length && !shouldStop()) {
				const index = next++;
				running++;
				const turns = limit.turnsFor();
				task(elements[index], index, turns).then(
					(result) => {
						results[index] = result;
						turns.release();
						limit.accepted();
						running--;
						fill();
					},
					(error: unknown) => {
						failed = true;
						turns.release();
						running--;
						reject(error);
					},
				);
			}
			if (!failed && running === 0 && (next >= elements.length || shouldStop())) resolve(results);
		};
		fill();
	});
}

/** The longest one 429 can pause a batch; a longer Retry-After is not honoured inside one run. */
export const MAX_GATE_PAUSE_MS = 120_000;

/** Runs `task` for each element with at most `limit` running at once; keeps result order. */
export async function mapWithConcurrency<T, R>(
	elements: readonly T[],
	limit: number,
	task: (element: T, index: number) => Promise<R>,
	shouldStop: () => boolean = () => false,
): Promise<R[]> {
	const results = new Array<R>(elements.length);
	let next = 0;
	const worker = async () => {
		while (next < elements.length && !shouldStop()) {
			const index = next++;
			results[index] = await task(elements[index], index);
		}
	};
	const workers = Array.from({ length: Math.max(1, Math.min(limit, elements.length)) }, worker);
	await Promise.all(workers);
	return results;
}
