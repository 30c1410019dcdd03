import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { callbackLinkKindOf, isPlainlyPrivateUrl, signCallbackUrl } from '../../../shared/callbackSignature';
import { CREDENTIAL_TYPE } from '../../../shared/constants';
import type { ApiService } from '../../../shared/errors';
import { apiFailureOf, cannotHaveBeenAccepted, itemSuffix, taskFailureToNodeApiError } from '../../../shared/errors';
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
import type { BatchPlan } from './batchPlan';

/**
 * The batch engine every paid operation of the Image resource runs on (Edit, Upscale, Vary, Reroll,
 * Zoom Out, Pan): it checks every item before sending anything, submits with adaptive concurrency
 * behind one 429 gate, never submits an item twice across n8n's Retry On Fail, waits the way the
 * user chose (poll, wait for callback, don't wait), and outputs results and files in input order.
 * An operation brings only what differs: where it submits, how one item's inputs become a request
 * body, and what its task is called in messages.
 */
export interface BatchOperation<Plan extends BatchPlan> {
	/** The API path submissions go to, e.g. /midjourney/edits. */
	path: string;
	/** Which Midjourney API that is, for its error messages (default Edits). */
	service?: ApiService;
	/** What one submission is called in messages: "The edit was not submitted again". */
	noun: string;
	/** Reads and checks one item's parameters (no request); throws an error naming the field. */
	readPlan(ctx: IExecuteFunctions, itemIndex: number): Plan;
	/**
	 * What the item asks the API for, as a stable hash (not the body: that may carry a fresh upload
	 * URL): n8n's Retry On Fail finds an earlier try's submission by it.
	 */
	requestHash(ctx: IExecuteFunctions, plan: Plan): string;
	/** The request body, without the wait fields (callback_url / async). May upload files (free). */
	prepareBody(ctx: IExecuteFunctions, plan: Plan, gate: RateLimitGate, signal?: AbortSignal): Promise<IDataObject>;
	/** Fields added to every result of this operation (the follow-up's action), from the plan. */
	resultFields?(plan: Plan): IDataObject;
}

/** Input files read into memory at once while preparing uploads. */
const MAX_FILES_PREPARED_AT_ONCE = 4;

/** Where one input item stands; every input item ends with output items or an error. */
interface ItemState<Plan extends BatchPlan = BatchPlan> {
	itemIndex: number;
	plan?: Plan;
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

/** Runs one operation over every input item; the operation's execute() is this and nothing else. */
export async function submitAndWait<Plan extends BatchPlan>(
	ctx: IExecuteFunctions,
	operation: BatchOperation<Plan>,
): Promise<INodeExecutionData[][]> {
	const keys: string[] = [];
	const output = await runBatch(ctx, operation, keys);
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

async function runBatch<Plan extends BatchPlan>(
	ctx: IExecuteFunctions,
	operation: BatchOperation<Plan>,
	keys: string[],
): Promise<INodeExecutionData[][]> {
	const items = ctx.getInputData();
	const continueOnFail = ctx.continueOnFail();
	const signal = ctx.getExecutionCancelSignal?.();
	const gate = new RateLimitGate(signal);
	const states: Array<ItemState<Plan>> = items.map((_, itemIndex) => ({ itemIndex }));

	const fail = (state: ItemState<Plan>, error: unknown) => {
		state.error = error instanceof Error ? error : new Error(String(error));
		if (!continueOnFail) throw withSubmittedTasks(state.error, states, state);
	};
	const live = () => states.filter((state) => !state.error);

	// 1. Check every item before sending anything: bad input costs no request.
	for (const state of states) {
		try {
			state.plan = operation.readPlan(ctx, state.itemIndex);
		} catch (error) {
			fail(state, error);
		}
	}
	const first = live()[0]?.plan;
	if (!first) return [states.map(errorItem)];
	const { waitMode, concurrency, maxConcurrency } = first;

	// n8n's "Retry On Fail" runs this again after a throw: items already submitted wait for their
	// task instead of paying for a second one.
	const run = runIdentity(ctx);
	for (const state of live()) {
		state.submissionKey = `${run}:${state.itemIndex}:${operation.requestHash(ctx, state.plan!)}`;
		keys.push(state.submissionKey);
		const earlier = earlierSubmission(state.submissionKey);
		if (earlier?.taskId) {
			state.taskId = earlier.taskId;
			state.submittedAt = earlier.submittedAt;
			state.result = { task_id: earlier.taskId };
		} else if (earlier?.uncertainFailure) {
			fail(
				state,
				new NodeOperationError(ctx.getNode(), `The ${operation.noun} was not submitted again [item ${state.itemIndex + 1}]`, {
					itemIndex: state.itemIndex,
					description: `An earlier try of this node failed while submitting it (${earlier.uncertainFailure}), and the API may have created and billed that task. Check with Get Many (Task resource) before running the item again.`,
				}),
			);
		}
	}
	const unsubmitted = () => live().filter((state) => !state.taskId);

	let callbackUrl: string | undefined;
	if (waitMode === 'callback') {
		callbackUrl = await resumeUrlForCallbacks(ctx, first);
	}

	// 2. Turn files into what the API takes (uploads cost nothing) before any paid submission.
	let stopping = false;
	await mapWithConcurrency(
		unsubmitted(),
		// Each preparation may hold a whole input file (up to 20 MB) in memory: a few at a time.
		Math.min(concurrency, MAX_FILES_PREPARED_AT_ONCE),
		async (state) => {
			try {
				state.body = await operation.prepareBody(ctx, state.plan!, gate, signal);
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
		apiToken = String((await ctx.getCredentials(CREDENTIAL_TYPE)).apiToken ?? '');
	}
	// Submissions start at Concurrency and adapt to the API's 429s; in poll mode each task is polled
	// from the moment it is accepted, while later items are still being submitted.
	const submitLimit = new AdaptiveLimit(concurrency, maxConcurrency, gate);
	const poller =
		waitMode === 'poll'
			? new TaskPoller(ctx, { intervalMs: Math.min(...live().map((state) => state.plan!.pollIntervalMs)), gate, signal })
			: undefined;
	// Tasks an earlier try of this node already paid for (Retry On Fail) are polled, not submitted again.
	for (const state of live()) {
		if (state.taskId) poller?.add({ taskId: state.taskId, deadline: state.submittedAt! + state.plan!.timeoutMs });
	}
	await mapWithAdaptiveConcurrency(
		unsubmitted(),
		submitLimit,
		// `turns`: the submission's place in the window, given back when the API refuses it (pacing.ts).
		async (state, _index, turns) => {
			const plan = state.plan!;
			const body = { ...state.body! };
			if (waitMode === 'callback') body.callback_url = callbackUrl;
			else if (plan.callbackUrl) body.callback_url = callbackUrlForDontWait(plan.callbackUrl, apiToken!);
			else body.async = true;
			try {
				const answer = await aceApiRequest(ctx, operation.path, body, {
					stage: 'submit',
					itemIndex: state.itemIndex,
					gate: turns,
					signal,
					maxAttempts: RATE_LIMITED_SUBMIT_ATTEMPTS,
					service: operation.service,
				});
				if (typeof answer.task_id !== 'string' || answer.task_id === '') {
					throw new NodeOperationError(ctx.getNode(), `The API accepted the ${operation.noun} but returned no task_id${itemSuffix(state.itemIndex)}`, {
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
		return [
			states.map((state) =>
				state.error
					? errorItem(state)
					: { json: withResultFields(operation, state.plan!, state.result!), pairedItem: { item: state.itemIndex } },
			),
		];
	}
	if (waitMode === 'callback') {
		return await waitForCallback(ctx, states, errorItem);
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
			state.error = taskFailureToNodeApiError(ctx.getNode(), state.taskId!, outcome.error ?? {}, state.itemIndex, operation.noun);
		} else {
			state.result = undefined;
			state.error = timeoutError(ctx, state, outcome);
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
			const shaped = state.plan!.simplify ? simplifiedResult(state.result!) : state.result!;
			// The operation's own fields (a follow-up's action) come out with or without Simplify.
			const result = withResultFields(operation, state.plan!, shaped);
			output.push(...(await resultItemsFor(ctx, result, state.plan!.output, state.itemIndex, continueOnFail)));
		} catch (error) {
			throw withSubmittedTasks(error as Error, states, state);
		}
	}
	return [output];
}

/** A result with the operation's own fields (a follow-up's action) added; Edit adds none. */
function withResultFields<Plan extends BatchPlan>(operation: BatchOperation<Plan>, plan: Plan, result: IDataObject): IDataObject {
	return operation.resultFields ? { ...result, ...operation.resultFields(plan) } : result;
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
		`Task ${state.taskId} did not finish within ${seconds} seconds${lastSeen}${itemSuffix(state.itemIndex)}`,
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
async function resumeUrlForCallbacks(ctx: IExecuteFunctions, plan: BatchPlan): Promise<string> {
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
				description: `n8n's resume URL is ${new URL(resumeUrl).origin}, which Ace Data Cloud cannot reach over the internet. Make n8n's public address (its WEBHOOK_URL setting) reachable from the internet, use 'Poll Until Done' (works behind firewalls), or turn on the option 'Allow Private Callback URL' if a tunnel forwards it. Nothing was submitted.`,
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
