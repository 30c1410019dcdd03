import type { IWebhookFunctions } from 'n8n-workflow';

/** How many task ids a trigger remembers; older ones are forgotten first. */
export const MAX_REMEMBERED_TASKS = 500;

/**
 * Near-simultaneous duplicates can both read the workflow's static data before either saves it,
 * so this process also remembers recent ids in memory (bounded).
 */
const recentInProcess = new Map<string, number>();
const MAX_IN_PROCESS = 5000;

/**
 * True the first time this process sees `key`, false for repeats (the oldest keys are forgotten
 * first). Shared by the trigger and the "Wait for Callback" resume: n8n answers webhooks
 * concurrently, and two requests in flight cannot see each other any other way.
 */
export function firstTimeInThisProcess(key: string): boolean {
	if (recentInProcess.has(key)) return false;
	recentInProcess.set(key, Date.now());
	if (recentInProcess.size > MAX_IN_PROCESS) {
		const oldest = recentInProcess.keys().next().value;
		if (oldest !== undefined) recentInProcess.delete(oldest);
	}
	return true;
}

/** Undoes firstTimeInThisProcess, for a request that failed before it could act on its claim. */
export function forgetInThisProcess(key: string): void {
	recentInProcess.delete(key);
}

/**
 * Returns true the first time a task id is seen by this trigger, false for repeats. Kept in the
 * workflow's static data (persisted by n8n, survives restarts) and bounded in size.
 */
export function rememberTaskOnce(ctx: IWebhookFunctions, taskId: string): boolean {
	const key = `${ctx.getWorkflow().id ?? ''}:${ctx.getNode().id ?? ctx.getNode().name}:${taskId}`;
	if (!firstTimeInThisProcess(key)) return false;

	const staticData = ctx.getWorkflowStaticData('node');
	const remembered = Array.isArray(staticData.recentTaskIds) ? (staticData.recentTaskIds as string[]) : [];
	if (remembered.includes(taskId)) return false;
	remembered.push(taskId);
	staticData.recentTaskIds = remembered.slice(-MAX_REMEMBERED_TASKS);
	return true;
}

/**
 * Tasks this process already submitted (and paid for) in the current run of a node, so that n8n's
 * "Retry On Fail" never bills an item twice. When a node throws, n8n runs its whole execute() again
 * with the same input, in the same process, within the same execution and run (in queue mode the
 * retry happens inside the worker that ran the node, never on another one). The key therefore holds
 * the execution id, the node, its run index (a loop runs the node again with new input under a new
 * run index), the item index and a hash of what the item asks the API for (see editRequestHash).
 * Bounded and forgotten once the node finishes without throwing; a restart forgets it, but a restart
 * also ends the retry loop.
 */
/**
 * What a try did with an item: a task id, or (taskId undefined) a submission that failed in a way
 * that may still have created and billed a task (a 5xx, a dropped connection): that one is not sent
 * again by a retry either.
 */
export interface EarlierSubmission {
	taskId?: string;
	submittedAt: number;
	uncertainFailure?: string;
}

const submittedInThisProcess = new Map<string, EarlierSubmission>();
const MAX_SUBMITTED_IN_PROCESS = 10_000;

export function rememberSubmission(key: string, submission: EarlierSubmission): void {
	submittedInThisProcess.delete(key);
	submittedInThisProcess.set(key, submission);
	if (submittedInThisProcess.size > MAX_SUBMITTED_IN_PROCESS) {
		const oldest = submittedInThisProcess.keys().next().value;
		if (oldest !== undefined) submittedInThisProcess.delete(oldest);
	}
}

export function earlierSubmission(key: string): EarlierSubmission | undefined {
	return submittedInThisProcess.get(key);
}

export function forgetSubmissions(keys: string[]): void {
	for (const key of keys) submittedInThisProcess.delete(key);
}
