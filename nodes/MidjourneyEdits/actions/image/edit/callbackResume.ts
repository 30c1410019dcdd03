import type { IDataObject, INodeExecutionData, IWebhookFunctions, IWebhookResponseData } from 'n8n-workflow';

import { acceptSignedCallback, callbackItems, readFinishedCallback } from '../../../../shared/callbackIntake';
import { isObject } from '../../../../shared/json';
import { asNodeError } from '../../../../shared/nodeErrors';
import { fetchTaskRecords } from '../../../../shared/polling';
import type { DownloadImages } from '../../../../shared/resultItems';
import { firstTimeInThisProcess, forgetInThisProcess } from '../../../../shared/seenTasks';
import type { TaskOutcome } from '../../../../shared/taskOutcome';
import { outcomeFromRecord } from '../../../../shared/taskOutcome';

/** What the waiting execution holds for each input item (see waitForCallback in edit.operation.ts). */
type WaitingEntry = { taskId: string } | { passThrough: IDataObject };

/**
 * Runs when the API posts a result to the execution's resume URL ("Wait for Callback"): the items
 * returned become this node's output and the execution goes on. Without workflowData n8n keeps
 * the execution waiting (a refused, malformed, in-progress or early post does not end the wait).
 *
 * The resume URL handed to the API carries our signature, bound to the execution id. n8n 1.x does
 * not sign resume URLs and its execution ids are sequential, so without this check anyone reaching
 * n8n could resume a waiting execution with a made-up result. No expiry: the wait's own timeout
 * bounds how long the link is of any use.
 *
 * n8n resumes an execution once, so with several items each callback looks up the other tasks
 * (one request per 50) and only the callback that finds them all finished resumes, with every
 * item's result in input order.
 */
export async function resumeFromCallback(this: IWebhookFunctions): Promise<IWebhookResponseData> {
	const request = this.getRequestObject();
	const pathname = new URL(request.originalUrl ?? request.url, 'http://resume.invalid').pathname;
	if (!(await acceptSignedCallback(this, pathname, 0))) return { noWebhookResponse: true };
	const callback = readFinishedCallback(this);
	if (!callback) return { noWebhookResponse: true };
	const res = this.getResponseObject();
	const options = this.getNodeParameter('options', {}) as { downloadImages?: DownloadImages };
	const download = options.downloadImages ?? 'none';

	const waiting = waitingEntries(this);
	const taskIds = waiting.flatMap((entry) => ('taskId' in entry ? [entry.taskId] : []));
	const current = callback.outcome.taskId;
	if (taskIds.length > 0 && !taskIds.includes(current)) {
		// Signed for this execution but not for what it waits for now: a late callback from an
		// earlier run of this node (a loop), say. Acknowledge it so the API does not retry.
		res.status(200).json({ received: true, waiting: true });
		return { noWebhookResponse: true };
	}
	if (waiting.length <= 1) {
		return await resumeOnce(this, `${pathname}:${current}`, async () => [await callbackItems(this, callback, download, 0)]);
	}

	const others = taskIds.filter((taskId) => taskId !== current);
	let records = new Map<string, IDataObject>();
	try {
		if (others.length > 0) records = await fetchTaskRecords(this, others, { maxAttempts: 2 });
	} catch {
		// Keep waiting; a 503 invites the API to deliver this callback again (if it retries).
		res.status(503).json({ error: 'Could not look up the other tasks of this execution; try again' });
		return { noWebhookResponse: true };
	}
	const outcomes = new Map<string, TaskOutcome>([[current, callback.outcome]]);
	for (const taskId of others) outcomes.set(taskId, outcomeFromRecord(records.get(taskId) ?? {}, taskId));
	const unfinished = [...outcomes.values()].filter((outcome) => outcome.state === 'running' || outcome.state === 'not_found');
	if (unfinished.length > 0) {
		res.status(200).json({ received: true, waiting_for: unfinished.length });
		return { noWebhookResponse: true };
	}

	return await resumeOnce(this, `${pathname}:${taskIds.join(',')}`, async () => {
		const output: INodeExecutionData[] = [];
		for (const [itemIndex, entry] of waiting.entries()) {
			if ('passThrough' in entry) {
				output.push({ json: entry.passThrough, pairedItem: { item: itemIndex } });
				continue;
			}
			const outcome = outcomes.get(entry.taskId)!;
			const body = entry.taskId === current ? callback.body : (outcome.result ?? { task_id: entry.taskId, success: false });
			output.push(...(await callbackItems(this, { body, outcome }, download, itemIndex)));
		}
		return [output];
	});
}

/**
 * Resumes the execution unless this process is already resuming it for the same tasks. n8n 1.x
 * resumes a waiting execution once per concurrent request (the rest of the workflow ran twice when
 * two callbacks arrived together); 2.x refuses the second itself. The key holds the awaited task
 * ids, so the same execution waiting again later (a loop) can resume again.
 */
async function resumeOnce(
	ctx: IWebhookFunctions,
	key: string,
	output: () => Promise<INodeExecutionData[][]>,
): Promise<IWebhookResponseData> {
	if (!firstTimeInThisProcess(`resume:${key}`)) {
		ctx.getResponseObject().status(200).json({ received: true, duplicate: true });
		return { noWebhookResponse: true };
	}
	try {
		return { workflowData: await output() };
	} catch (error) {
		forgetInThisProcess(`resume:${key}`);
		throw asNodeError(ctx.getNode(), error);
	}
}

/**
 * The items the waiting node handed n8n (they are this webhook's input): an item with a task_id
 * waits for that task; any other (an item that failed before submitting, under "Continue On Fail")
 * comes out as it is. Read through an expression, the one way a webhook sees its node's input.
 */
function waitingEntries(ctx: IWebhookFunctions): WaitingEntry[] {
	let items: unknown;
	try {
		items = JSON.parse(String(ctx.evaluateExpression('{{ JSON.stringify($input.all().map((item) => item.json)) }}', 0)));
	} catch {
		return [];
	}
	if (!Array.isArray(items)) return [];
	return items.map((json) => {
		const data = isObject(json) ? json : {};
		return typeof data.task_id === 'string' && data.task_id !== '' ? { taskId: data.task_id } : { passThrough: data };
	});
}
