import type { IDataObject } from 'n8n-workflow';

import { TASKS_PAGE_SIZE } from './constants';
import { apiFailureOf, isTransient } from './errors';
import { asNodeError } from './nodeErrors';
import { pauseUnlessCancelled } from './pacing';
import type { PendingTask, PollOptions, PollOutcome } from './polling';
import { fetchTaskRecords } from './polling';
import { outcomeFromRecord } from './taskOutcome';
import type { AceContext } from './transport';
import { waitAfterRateLimitMs } from './transport';

/**
 * Polls tasks from the moment they are submitted, while later items are still being submitted:
 * `add` each task as the API accepts it, `done` once the last is added. Every round asks for all
 * unfinished tasks together (one retrieve_batch per TASKS_PAGE_SIZE ids), one poll interval after
 * the previous round's answer, and not before one interval after the latest task added (see
 * untilRoundDue). So a slow submission phase no longer delays the first poll, and requests per task
 * stay about 1 + rounds / N. Transient failures of a round only cost that round; anything else (a revoked
 * token) ends the wait with that error; a 429 holds the next round back (Retry-After when sent, else
 * the poll interval doubled for each 429 in a row), never past a deadline.
 */
export class TaskPoller {
	private readonly pending: PendingTask[] = [];
	private readonly outcomes = new Map<string, PollOutcome>();
	private readonly lastSeen = new Map<string, string>();
	private closed = false;
	private lastAddedAt = 0;
	/** Rounds answered 429 in a row, and until when to hold back because of them. */
	private rateLimitedRounds = 0;
	private holdBackUntil = 0;
	private wakeUp?: () => void;
	private readonly finished: Promise<Map<string, PollOutcome>>;

	constructor(
		private readonly ctx: AceContext,
		private readonly options: PollOptions,
	) {
		this.finished = this.run();
		// Rethrown by `done`; never an unhandled rejection while the submissions still run.
		this.finished.catch(() => undefined);
	}

	/** A task the API has just accepted. */
	add(task: PendingTask): void {
		if (this.closed) throw new Error('TaskPoller: add after done');
		this.pending.push(task);
		this.lastAddedAt = Date.now();
		this.wakeUp?.();
	}

	/** No more tasks will come: resolves with every added task's outcome once each has one. */
	async done(): Promise<Map<string, PollOutcome>> {
		this.closed = true;
		this.wakeUp?.();
		return await this.finished;
	}

	/** Stops polling at once (the node is failing): no more requests, `done` resolves with what is known. */
	abandon(): void {
		this.pending.length = 0;
		this.closed = true;
		this.wakeUp?.();
	}

	private async nextAddOrClose(): Promise<void> {
		await new Promise<void>((resolve) => (this.wakeUp = resolve));
		this.wakeUp = undefined;
	}

	private async run(): Promise<Map<string, PollOutcome>> {
		// The first round is timed from the first task added, every later one from the previous answer.
		let from = Date.now();
		while (this.pending.length > 0 || !this.closed) {
			if (this.pending.length === 0) {
				await this.nextAddOrClose();
				from = Math.max(from, Date.now());
				continue;
			}
			await this.untilRoundDue(from);
			if (this.pending.length === 0) continue;
			await this.round([...this.pending]);
			from = Date.now();
		}
		return this.outcomes;
	}

	/**
	 * A round comes one poll interval after `from` (the previous round's answer, like the Wait node
	 * between two HTTP Requests: a slow API is asked less often, and never by two rounds at once), and
	 * not before one interval after the latest task added, so a batch accepted in a burst is asked for
	 * together; but while submissions go on, no later than two intervals after `from`, so a long
	 * submission phase is polled while it runs. Once every task is in, nothing caps the wait for the
	 * last one: its job ends last, and asking in step with it saves up to one interval at the end.
	 * A 429's hold-back comes on top; a task's deadline cuts any wait short.
	 */
	private async untilRoundDue(from: number): Promise<void> {
		const { intervalMs, signal } = this.options;
		const due = () => {
			if (this.pending.length === 0) return 0;
			const settled = this.lastAddedAt + intervalMs;
			const at = this.closed
				? Math.max(from + intervalMs, settled)
				: Math.max(from + intervalMs, Math.min(settled, from + 2 * intervalMs));
			return Math.min(Math.max(at, this.holdBackUntil), ...this.pending.map((task) => task.deadline));
		};
		// Re-evaluated every slice: tasks added and the last submission move the round.
		for (let left = due() - Date.now(); left > 0; left = due() - Date.now()) {
			await pauseUnlessCancelled(Math.min(left, 250), signal);
		}
	}

	private async round(asked: PendingTask[]): Promise<void> {
		const ids = asked.map((task) => task.taskId);
		let records: Map<string, IDataObject> | undefined;
		let requests = 0;
		try {
			// Pages of TASKS_PAGE_SIZE ids are asked for at the same time, so a round over
			// 200 tasks takes one API round trip, not four.
			const pages: string[][] = [];
			for (let start = 0; start < ids.length; start += TASKS_PAGE_SIZE) {
				pages.push(ids.slice(start, start + TASKS_PAGE_SIZE));
			}
			const answers = await Promise.all(
				pages.map(
					async (page) =>
						await fetchTaskRecords(this.ctx, page, {
							gate: this.options.gate,
							signal: this.options.signal,
							maxAttempts: 1,
							onRequest: () => requests++,
						}),
				),
			);
			records = new Map(answers.flatMap((answer) => [...answer]));
		} catch (error) {
			const failure = apiFailureOf(error);
			if (!failure || !isTransient(failure)) throw asNodeError(this.ctx.getNode(), error);
			if (failure.status === 429) {
				const nextDeadline = Math.min(...asked.map((task) => task.deadline));
				const holdBackMs = Math.min(
					waitAfterRateLimitMs(failure, ++this.rateLimitedRounds, this.options.intervalMs),
					Math.max(0, nextDeadline - Date.now()),
				);
				this.holdBackUntil = Date.now() + holdBackMs;
				this.options.gate?.slowDown(holdBackMs);
			}
		}
		if (records) this.rateLimitedRounds = 0;
		this.options.onRound?.({ requests, pending: ids.length });

		const now = Date.now();
		for (const task of asked) {
			const record = records?.get(task.taskId);
			const outcome = record ? outcomeFromRecord(record, task.taskId) : undefined;
			let final: PollOutcome | undefined;
			if (outcome && (outcome.state === 'succeeded' || outcome.state === 'failed')) {
				final = outcome;
			} else {
				// A round that failed tells nothing; a round without the task means the API does not know it.
				if (records) this.lastSeen.set(task.taskId, outcome?.state ?? 'not_found');
				if (now >= task.deadline) {
					final = { state: 'timed_out', taskId: task.taskId, lastSeen: this.lastSeen.get(task.taskId) };
				}
			}
			if (final) {
				this.outcomes.set(task.taskId, final);
				this.pending.splice(this.pending.indexOf(task), 1);
			}
		}
	}
}
