import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { callbackLinkKindOf, isPlainlyPrivateUrl, signCallbackUrl } from '../../../shared/callbackSignature';
import { CREDENTIAL_TYPE, EDITS_PATH } from '../../../shared/constants';
import { apiFailureOf, cannotHaveBeenAccepted, taskFailureToNodeApiError } from '../../../shared/errors';
import {
	AdaptiveLimit,
	ExecutionCancelledSignal,
	mapWithAdaptiveConcurrency,
	mapWithConcurrency,
	RATE_LIMITED_SUBMIT_ATTEMPTS,
	RateLimitGate,
	throwIfCancelled,
} from '../../../shared/pacing';
import type { PollOutcome } from '../../../shared/polling';
import { TaskPoller } from '../../../shared/taskPoller';
import { resultItemsFor, simplifiedResult } from '../../../shared/resultItems';
import { earlierSubmission, forgetSubmissions, rememberSubmission } from '../../../shared/seenTasks';
import { aceApiRequest } from '../../../shared/transport';
import { editDescription } from './edit.description';
import { prepareEditBody } from './edit/inputs';
import type { EditPlan } from './edit/plan';
import { editRequestHash, readEditPlan } from './edit/plan';

export const description: INodeProperties[] = editDescription;

/** Input files read into memory at once while preparing uploads. */
const MAX_FILES_PREPARED_AT_ONCE = 4;

/** Where one input item stands; every input item ends with output items or an error. */
interface ItemState {
	itemIndex: number;
	plan?: EditPlan;
	/** Names this item's submission in this process (Retry On Fail memory, seenTasks.ts). */
	submissionKey?: string;
	body?: IDataObject;
	taskId?: string;
	submittedAt?: number;
	result?: IDataObject;
	error?: Error;
}

function errorItem(state: ItemState): INodeExecutionData {
	const error = state.error as Error & { description?: string };
	const json: IDataObject = { error: error.message };
	if (error.description) json.description = error.description;
	if (state.taskId) json.task_id = state.taskId;
	return { json, pairedItem: { item: state.itemIndex } };
}

/** Names the tasks that were already paid for, so a failing run loses none of them. */
function withSubmittedTasks(error: Error, states: ItemState[], failing: ItemState): Error {
	const others = states.filter((state) => state !== failing && state.taskId);
	if (others.length === 0) return error;
	const list = others.map((state) => `item ${state.itemIndex + 1}: ${state.taskId}`).join(', ');
	const note = ` Tasks already submitted for other items (fetch them with Get (Task resource)): ${list}.`;
	const withDescription = error as Error & { description?: string | null };
	withDescription.description = `${withDescription.description ?? ''}${note}`.trim();
	return error;
}

export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const keys: string[] = [];
	const output = await editItems.call(this, keys);
	// Finished without throwing: n8n will not retry, so the memory of these submissions can go.
	forgetSubmissions(keys);
	return output;
}

/** The node's run as n8n's "Retry On Fail" sees it: same execution, node and run index on every try. */
function runIdentity(ctx: IExecuteFunctions): string {
	let runIndex = '0';
	try {
		runIndex = String(ctx.evaluateExpression('{{ $runIndex }}', 0) ?? '0');
	} catch {
		// Without a run index, the request hash still tells a loop's different inputs apart.
	}
	const node = ctx.getNode();
	return `${ctx.getExecutionId?.() ?? ''}:${node.id ?? node.name}:${runIndex}`;
}

async function editItems(this: IExecuteFunctions, keys: string[]): Promise<INodeExecutionData[][]> {
	const items = this.getInputData();
	const continueOnFail = this.continueOnFail();
	const signal = this.getExecutionCancelSignal?.();
	const gate = new RateLimitGate(signal);
	const states: ItemState[] = items.map((_, itemIndex) => ({ itemIndex }));

	const fail = (state: ItemState, error: unknown) => {
		state.error = error instanceof Error ? error : new Error(String(error));
		if (!continueOnFail) throw withSubmittedTasks(state.error, states, state);
	};
	const live = () => states.filter((state) => !state.error);

	// 1. Check every item before sending anything: bad input costs no request.
	for (const state of states) {
		try {
			state.plan = readEditPlan(this, state.itemIndex);
		} catch (error) {
			fail(state, error);
		}
	}
	const first = live()[0]?.plan;
	if (!first) return [states.map(errorItem)];
	const { waitMode, concurrency, maxConcurrency } = first;

	// n8n's "Retry On Fail" runs this again after a throw: items already submitted wait for their
	// task instead of paying for a second one.
	const run = runIdentity(this);
	for (const state of live()) {
		state.submissionKey = `${run}:${state.itemIndex}:${editRequestHash(this, state.plan!)}`;
		keys.push(state.submissionKey);
		const earlier = earlierSubmission(state.submissionKey);
		if (earlier?.taskId) {
			state.taskId = earlier.taskId;
			state.submittedAt = earlier.submittedAt;
			state.result = { task_id: earlier.taskId };
		} else if (earlier?.uncertainFailure) {
			fail(
				state,
				new NodeOperationError(this.getNode(), `The edit was not submitted again [item ${state.itemIndex + 1}]`, {
					itemIndex: state.itemIndex,
					description: `An earlier try of this node failed while submitting it (${earlier.uncertainFailure}), and the API may have created and billed that task. Check with Get Many (Task resource) before running the item again.`,
				}),
			);
		}
	}
	const unsubmitted = () => live().filter((state) => !state.taskId);

	let callbackUrl: string | undefined;
	if (waitMode === 'callback') {
		callbackUrl = await resumeUrlForCallbacks(this, first);
	}

	// 2. Turn files into what the API takes (uploads cost nothing) before any paid submission.
	let stopping = false;
	await mapWithConcurrency(
		unsubmitted(),
		// Each preparation may hold a whole input file (up to 20 MB) in memory: a few at a time.
		Math.min(concurrency, MAX_FILES_PREPARED_AT_ONCE),
		async (state) => {
			try {
				state.body = await prepareEditBody(this, state.plan!, gate, signal);
			} catch (error) {
				stopping = !continueOnFail;
				state.error = error as Error;
			}
		},
		() => stopping,
	);
	throwIfCancelled(signal);
	if (stopping) throw states.find((state) => state.error)!.error!;

	// 3. Submit. A submission is only re-sent where the API cannot have accepted it (transport).
	let apiToken: string | undefined;
	if (waitMode === 'none' && unsubmitted().some((state) => state.plan!.callbackUrl)) {
		apiToken = String((await this.getCredentials(CREDENTIAL_TYPE)).apiToken ?? '');
	}
	// Submissions start at Concurrency and adapt to the API's 429s; in poll mode each task is polled
	// from the moment it is accepted, while later items are still being submitted.
	const submitLimit = new AdaptiveLimit(concurrency, maxConcurrency, gate);
	const poller =
		waitMode === 'poll'
			? new TaskPoller(this, { intervalMs: Math.min(...live().map((state) => state.plan!.pollIntervalMs)), gate, signal })
			: undefined;
	// Tasks an earlier try of this node already paid for (Retry On Fail) are polled, not submitted again.
	for (const state of live()) {
		if (state.taskId) poller?.add({ taskId: state.taskId, deadline: state.submittedAt! + state.plan!.timeoutMs });
	}
	await mapWithAdaptiveConcurrency(
		unsubmitted(),
		submitLimit,
		async (state) => {
			const plan = state.plan!;
			const body = { ...state.body! };
			if (waitMode === 'callback') body.callback_url = callbackUrl;
			else if (plan.callbackUrl) body.callback_url = callbackUrlForDontWait(plan.callbackUrl, apiToken!);
			else body.async = true;
			try {
				const answer = await aceApiRequest(this, EDITS_PATH, body, {
					stage: 'submit',
					itemIndex: state.itemIndex,
					gate,
					signal,
					maxAttempts: RATE_LIMITED_SUBMIT_ATTEMPTS,
				});
				if (typeof answer.task_id !== 'string' || answer.task_id === '') {
					throw new NodeOperationError(this.getNode(), `The API accepted the edit but returned no task_id [item ${state.itemIndex + 1}]`, {
						itemIndex: state.itemIndex,
						description: `The answer was: ${JSON.stringify(answer).slice(0, 300)}`,
					});
				}
				state.taskId = answer.task_id;
				state.submittedAt = Date.now();
				state.result = answer;
				rememberSubmission(state.submissionKey!, { taskId: state.taskId, submittedAt: state.submittedAt });
				poller?.add({ taskId: answer.task_id, deadline: state.submittedAt + plan.timeoutMs });
			} catch (error) {
				stopping = !continueOnFail;
				state.error = error as Error;
				if (mayHaveCreatedTask(error)) {
					rememberSubmission(state.submissionKey!, { submittedAt: Date.now(), uncertainFailure: state.error.message });
				}
			}
		},
		() => stopping || (signal?.aborted ?? false),
	);
	if (stopping || signal?.aborted) poller?.abandon();
	if (stopping) {
		const failing = states.find((state) => state.error)!;
		throw withSubmittedTasks(failing.error!, states, failing);
	}
	throwIfCancelled(signal);

	// 4. Wait the way the user chose.
	if (waitMode === 'none') {
		return [states.map((state) => (state.error ? errorItem(state) : { json: state.result!, pairedItem: { item: state.itemIndex } }))];
	}
	if (waitMode === 'callback') {
		return await waitForCallback(this, states, errorItem);
	}

	const submitted = live().filter((state) => state.taskId);
	// A rate limit never keeps the node past the last item's timeout.
	gate.endPausesBy(Math.max(...submitted.map((state) => state.submittedAt! + state.plan!.timeoutMs)));
	let outcomes = new Map<string, PollOutcome>();
	try {
		outcomes = await poller!.done();
	} catch (error) {
		throwIfCancelled(signal);
		// A failure that ends every wait (say, a revoked token) is each waiting item's failure.
		for (const state of submitted) fail(state, error);
	}
	for (const state of submitted) {
		const outcome = outcomes.get(state.taskId!);
		if (!outcome || state.error) continue;
		if (outcome.state === 'succeeded') {
			state.result = outcome.result;
		} else if (outcome.state === 'failed') {
			state.result = undefined;
			state.error = taskFailureToNodeApiError(this.getNode(), state.taskId!, outcome.error ?? {}, state.itemIndex);
		} else {
			state.result = undefined;
			state.error = timeoutError(this, state, outcome);
		}
	}
	const firstFailure = states.find((state) => state.error);
	if (firstFailure && !continueOnFail) throw withSubmittedTasks(firstFailure.error!, states, firstFailure);

	// 5. Build the output in input order, downloading files when asked.
	const output: INodeExecutionData[] = [];
	for (const state of states) {
		if (state.error) {
			output.push(errorItem(state));
			continue;
		}
		throwIfCancelled(signal);
		try {
			const result = state.plan!.simplify ? simplifiedResult(state.result!) : state.result!;
			output.push(...(await resultItemsFor(this, result, state.plan!.output, state.itemIndex, continueOnFail)));
		} catch (error) {
			throw withSubmittedTasks(error as Error, states, state);
		}
	}
	return [output];
}

/** Whether a failed submission may still have created (and billed) a task. */
function mayHaveCreatedTask(error: unknown): boolean {
	if (error instanceof ExecutionCancelledSignal) return false;
	const failure = apiFailureOf(error);
	if (!failure) return true; // answered, but without a task id
	if (failure.status === undefined) return !cannotHaveBeenAccepted(failure);
	return failure.status >= 500;
}

/**
 * "Don't Wait" signs only a trigger's URL (plan.ts refuses resume URLs); any other callback URL
 * (another tool's endpoint) is sent as given, so the node never mints signatures for it.
 */
function callbackUrlForDontWait(url: string, apiToken: string): string {
	return callbackLinkKindOf(new URL(url).pathname) === 'trigger' ? signCallbackUrl(url, apiToken) : url;
}

function timeoutError(ctx: IExecuteFunctions, state: ItemState, outcome: PollOutcome): Error {
	const seconds = Math.round(state.plan!.timeoutMs / 1000);
	const seen = 'lastSeen' in outcome ? outcome.lastSeen : undefined;
	const lastSeen =
		seen === 'not_found' ? ' (the API no longer knows this task ID)' : seen ? ` (last seen: ${seen})` : '';
	return new NodeOperationError(
		ctx.getNode(),
		`Task ${state.taskId} did not finish within ${seconds} seconds${lastSeen} [item ${state.itemIndex + 1}]`,
		{
			itemIndex: state.itemIndex,
			description: `The task may still finish: Midjourney keeps working on it, and it is billed. Fetch the result later with Get (Task resource) and the task ID ${state.taskId}, or raise the option 'Timeout (Seconds)'.`,
		},
	);
}

/**
 * The execution's own resume URL is the callback URL of every item's task: n8n resumes the waiting
 * execution when the API posts there (callbackResume.ts waits for all of them). It is signed like a
 * trigger URL, because n8n 1.x leaves resume URLs unsigned; n8n 2.x checks only its own `signature`
 * parameter, so ours may sit beside it.
 */
async function resumeUrlForCallbacks(ctx: IExecuteFunctions, plan: EditPlan): Promise<string> {
	const resumeUrl = String(ctx.evaluateExpression('{{ $execution.resumeUrl }}', plan.itemIndex) ?? '');
	if (!/^https?:\/\//.test(resumeUrl)) {
		throw new NodeOperationError(ctx.getNode(), 'n8n did not provide a resume URL for this execution', {
			description: "'Wait for Callback' needs n8n's waiting webhooks. Set 'Wait Mode' to 'Poll Until Done' instead.",
		});
	}
	if (!plan.allowPrivateCallbackUrl && isPlainlyPrivateUrl(resumeUrl)) {
		throw new NodeOperationError(
			ctx.getNode(),
			'The API cannot call back this n8n: its address is private',
			{
				description: `n8n's resume URL is ${new URL(resumeUrl).origin}, which Ace Data Cloud cannot reach over the internet. Make n8n's public address (its WEBHOOK_URL setting) reachable from the internet, use 'Poll Until Done' (works behind firewalls), or turn on the option 'Allow Private Callback Address' if a tunnel forwards it. Nothing was submitted.`,
			},
		);
	}
	const { apiToken } = await ctx.getCredentials(CREDENTIAL_TYPE);
	return signCallbackUrl(resumeUrl, String(apiToken ?? ''));
}

async function waitForCallback(
	ctx: IExecuteFunctions,
	states: ItemState[],
	toErrorItem: (state: ItemState) => INodeExecutionData,
): Promise<INodeExecutionData[][]> {
	const submitted = states.filter((state) => state.taskId && !state.error);
	if (submitted.length === 0) return [states.map(toErrorItem)];
	// If no callback comes, n8n ends the wait by passing this node's input through. We make that
	// input one item per input item: the task to fetch later, or the error of an item that failed
	// before submitting ("Continue On Fail"). The resume webhook reads the same items back.
	const waitingItems = states.map((state): INodeExecutionData => {
		if (state.error || !state.taskId) return toErrorItem(state);
		const seconds = Math.round(state.plan!.timeoutMs / 1000);
		return {
			json: {
				task_id: state.taskId,
				success: false,
				error: `No callback arrived within ${seconds} seconds. The task may still finish: fetch it with Get (Task resource) and task ID ${state.taskId}.`,
			},
			pairedItem: { item: state.itemIndex },
		};
	});
	const executeData = ctx.getExecuteData?.();
	if (executeData) executeData.data = { main: [waitingItems] };
	const waitUntil = Math.max(...submitted.map((state) => (state.submittedAt ?? Date.now()) + state.plan!.timeoutMs));
	await ctx.putExecutionToWait(new Date(waitUntil));
	return [waitingItems];
}
