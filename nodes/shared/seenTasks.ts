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
