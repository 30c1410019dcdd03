import type { IDataObject, INodeExecutionData, IWebhookFunctions, IWebhookResponseData } from 'n8n-workflow';

import {
	acceptSignedCallback,
	callbackItems,
	claimedTaskId,
	isFinished,
	lookUpOutcomes,
} from '../../../../shared/callbackIntake';
import { isObject } from '../../../../shared/json';
import { asNodeError } from '../../../../shared/nodeErrors';
import { outputAndShapeOf } from '../batchPlan';
import { firstTimeInThisProcess, forgetInThisProcess } from '../../../../shared/seenTasks';

/** What the waiting execution holds for each input item (see waitForCallback in submitAndWait.ts). */
type WaitingEntry = { taskId: string } | { passThrough: IDataObject };

/**
 * Runs when something posts to the execution's resume URL ("Wait for Callback"): the items
 * returned become this node's output and the execution goes on. Without workflowData n8n keeps
 * the execution waiting (a refused, malformed, early or unfinished post does not end the wait).
 *
 * A post is only a wake-up call: its task_id says which task may be done, and every task the
 * execution waits for is looked up with our token (one request per 50). Only when the API's
 * records show them all finished does the execution resume, with each item built from its record
 * in input order. A forged body can therefore never put a result into the workflow; at most it
 * makes us look the tasks up early.
 *
 * The resume URL handed to the API also carries our signature, bound to this n8n's address and the
 * execution id: n8n 1.x does not sign resume URLs and its execution ids are sequential, so the
 * signature keeps strangers from making the execution look its tasks up at will. No expiry: the
 * wait's own timeout bounds how long the link is of any use.
 */
export async function resumeFromCallback(this: IWebhookFunctions): Promise<IWebhookResponseData> {
	const request = this.getRequestObject();
	const pathname = new URL(request.originalUrl ?? request.url, 'http://resume.invalid').pathname;
	if (!(await acceptSignedCallback(this, `${ownOrigin(this)}${pathname}`, 0))) return { noWebhookResponse: true };
	const current = claimedTaskId(this);
	if (!current) return { noWebhookResponse: true };
	const res = this.getResponseObject();
	const { output: resultOutput, simplify } = outputAndShapeOf(this.getNode(), (name, fallback) =>
		this.getNodeParameter(name, fallback),
	);

	const waiting = waitingEntries(this);
	if (!waiting) {
		// Fail closed: without knowing what the execution waits for, nothing can be checked.
		res.status(503).json({ error: 'Could not read what this execution waits for; try again later' });
		return { noWebhookResponse: true };
	}
	const taskIds = waiting.flatMap((entry) => ('taskId' in entry ? [entry.taskId] : []));
	if (!taskIds.includes(current)) {
		// Signed for this execution but not for what it waits for now: a late callback from an
		// earlier run of this node (a loop), say. Acknowledge it so the API does not retry.
		res.status(200).json({ received: true, waiting: true });
		return { noWebhookResponse: true };
	}

	const outcomes = await lookUpOutcomes(this, taskIds);
	if (!outcomes) return { noWebhookResponse: true };
	const unfinished = [...outcomes.values()].filter((outcome) => !isFinished(outcome));
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
			output.push(...(await callbackItems(this, outcomes.get(entry.taskId)!, resultOutput, itemIndex, simplify)));
		}
		return [output];
	});
}

/**
 * This n8n's own scheme and host for resume links, as n8n configures them (WEBHOOK_URL), not as
 * the request claims; the request's Host header only when n8n does not say.
 */
function ownOrigin(ctx: IWebhookFunctions): string {
	try {
		const resumeUrl = String(ctx.evaluateExpression('{{ $execution.resumeUrl }}', 0) ?? '');
		return new URL(resumeUrl).origin;
	} catch {
		const request = ctx.getRequestObject();
		return `${request.protocol ?? 'http'}://${request.headers?.host ?? ''}`;
	}
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
 * comes out as it is. Read through an expression, the one way a webhook sees its node's input;
 * undefined when that fails.
 */
function waitingEntries(ctx: IWebhookFunctions): WaitingEntry[] | undefined {
	let items: unknown;
	try {
		items = JSON.parse(String(ctx.evaluateExpression('{{ JSON.stringify($input.all().map((item) => item.json)) }}', 0)));
	} catch {
		return undefined;
	}
	if (!Array.isArray(items)) return undefined;
	return items.map((json) => {
		const data = isObject(json) ? json : {};
		return typeof data.task_id === 'string' && data.task_id !== '' ? { taskId: data.task_id } : { passThrough: data };
	});
}
