/**
 * The mutations scripts/mutation-check.mjs applies, one at a time, in a scratch copy. Each removes or
 * breaks one behaviour; `tests` (with the optional jest `-t` pattern `testName`) must then fail.
 * Anchors (`find`) are short, stable lines of product code and must match exactly once; when the code
 * they name is rewritten the check reports the mutation STALE: re-anchor it on the new code.
 */
const EDIT = 'nodes/MidjourneyEdits/actions/image/submitAndWait.ts';
const RESULT_ITEMS = 'nodes/shared/resultItems.ts';
const SEEN_TASKS = 'nodes/shared/seenTasks.ts';
const PACING = 'nodes/shared/pacing.ts';

const FAULTS_TEST = 'test/workflows/editFaults.test.ts';
const FILES_TEST = 'test/workflows/editFiles.test.ts';
const TRIGGER_TEST = 'test/workflows/trigger.test.ts';
const CALLBACK_TEST = 'test/workflows/editCallback.test.ts';
const FOLLOW_UPS_TEST = 'test/workflows/followUps.test.ts';
const FOLLOW_UP_PLAN = 'nodes/MidjourneyEdits/actions/image/followUp/plan.ts';

export const MUTATIONS = [
	// --- Issue 15: what a no-code user sees -----------------------------------------------------------
	{
		id: 'ux-task-simplify-ignored',
		what: 'Task → Get Many outputs the raw record whatever Simplify says.',
		edits: [
			{
				file: 'nodes/MidjourneyEdits/actions/task/getMany.operation.ts',
				find: 'const json: IDataObject = simplify ? simplifiedTaskRecord(record, id) : taskRecordForOutput(record, id);',
				replace: 'const json: IDataObject = taskRecordForOutput(record, id);',
			},
		],
		tests: ['test/workflows/taskOutput.test.ts'],
		testName: 'Get Many gives',
	},
	{
		id: 'ux-item-suffix-dropped',
		what: "API errors no longer end in n8n's [item N].",
		edits: [{ file: 'nodes/shared/errors.ts', find: "return itemIndex === undefined ? '' : ` [item ${itemIndex + 1}]`;", replace: "return '';" }],
		tests: [FAULTS_TEST],
		testName: '401',
	},
	// --- Issue 13: the vendor's readings --------------------------------------------------------------
	{
		id: 'vendor-progress-below-100-is-final',
		what: 'A progress callback or record (success true, progress 40) is taken for the finished edit.',
		edits: [{ file: 'nodes/shared/taskOutcome.ts', find: 'return progress !== undefined && progress < 100;', replace: 'return false;' }],
		tests: ['test/unit/vendorReadings.test.ts'],
		testName: 'progress callback',
	},
	{
		id: 'vendor-short-page-ids-called-unknown',
		what: 'Ids a short retrieve_batch page left out are called unknown instead of being asked again.',
		edits: [{ file: 'nodes/shared/polling.ts', find: 'const missing = ids.filter((id) => !records.has(id));', replace: 'const missing: string[] = [];' }],
		tests: ['test/workflows/vendorReadings.test.ts'],
		testName: 'short page',
	},
	{
		id: 'vendor-api-token-sent-to-upload',
		what: 'The upload gets the API token (the platform takes only the platform token).',
		edits: [
			{
				file: 'credentials/AceDataCloudApi.credentials.ts',
				find: 'const token = String((forUpload ? credentials.platformToken : credentials.apiToken) ?? \'\').trim();',
				replace: 'const token = String(credentials.apiToken ?? \'\').trim();',
			},
		],
		tests: ['test/workflows/vendorReadings.test.ts'],
		testName: 'platform token to the upload only',
	},
	// --- Issue 16: adaptive submission, pipelined polling ---------------------------------------------
	{
		id: 'adaptive-limit-never-drops',
		what: 'A 429 does not slow the submissions down.',
		edits: [{ file: PACING, find: 'this.window = Math.min(this.window, tookLately);', replace: 'this.window = Math.max(this.window, tookLately);' }],
		tests: ['test/unit/adaptivePacing.test.ts'],
		testName: 'drops',
	},
	{
		id: 'adaptive-refused-keeps-place',
		what: 'A submission refused with a 429 keeps its place: every refused item goes again at the end of each pause (a herd the API refuses again).',
		edits: [{ file: PACING, find: 'giveBack();', replace: '' }],
		tests: ['test/unit/adaptivePacing.test.ts', 'test/workflows/editAdaptive.test.ts'],
		testName: 'give their place back|no herd of retries',
	},
	{
		id: 'adaptive-no-pacing-after-429',
		what: 'After a 429, rounds start as fast as the API answers (a rate limit refuses every round that follows at once).',
		edits: [{ file: PACING, find: 'if (this.probing) return 0;', replace: 'return 0;' }],
		tests: ['test/unit/adaptivePacing.test.ts'],
		testName: 'at most the window starts per second',
	},
	{
		id: 'retry-on-fail-earlier-task-not-polled',
		what: 'A retry of the node does not poll the tasks an earlier try submitted.',
		edits: [{ file: EDIT, find: 'if (state.taskId) poller?.add({ taskId: state.taskId, deadline: state.submittedAt! + state.plan!.timeoutMs });', replace: '' }],
		tests: ['test/workflows/retryOnFail.test.ts'],
		testName: 'once the retry succeeds',
	},
	// --- Issue 12: a callback is a claim, the task record is the truth ---------------------------
	{
		id: 'claims-trigger-starts-unfinished-task',
		what: 'The trigger starts a workflow for a task the API has not finished (a forged success).',
		edits: [{ file: 'nodes/MidjourneyEditsTrigger/MidjourneyEditsTrigger.node.ts', find: 'if (!isFinished(outcome)) {', replace: 'if (outcome.state === \'not_found\') {' }],
		tests: [TRIGGER_TEST],
		testName: 'forged success for a running task',
	},
	{
		id: 'claims-resume-on-unfinished-task',
		what: 'A forged post resumes a waiting execution while its task still runs.',
		edits: [{ file: 'nodes/MidjourneyEdits/actions/image/edit/callbackResume.ts', find: 'if (unfinished.length > 0) {', replace: 'if (unfinished.length < 0) {' }],
		tests: ['test/workflows/callbackClaims.test.ts'],
		testName: 'resumes nothing while the task runs',
	},
	{
		id: 'claims-download-guard-removed',
		what: 'Result downloads fetch private addresses.',
		edits: [{ file: 'nodes/shared/images.ts', find: 'const refused = refusedDownloadReason(current, exemptHost);', replace: 'const refused = undefined;' }],
		tests: ['test/unit/resultDownloads.test.ts'],
		testName: 'private address|re-checks a redirect',
	},
	{
		id: 'claims-token-follows-redirects',
		what: 'API requests follow redirects, taking the token to another origin.',
		edits: [{ file: 'nodes/shared/transport.ts', find: 'disableFollowRedirect: true,', replace: 'disableFollowRedirect: false,' }],
		tests: ['test/workflows/transportClaims.test.ts'],
		testName: 'receives nothing',
	},
	{
		id: 'claims-retry-on-fail-resubmits',
		what: 'n8n\'s Retry On Fail submits (and bills) the items again.',
		edits: [{ file: EDIT, find: 'const earlier = earlierSubmission(state.submissionKey);', replace: 'const earlier = undefined as ReturnType<typeof earlierSubmission>;' }],
		tests: ['test/workflows/retryOnFail.test.ts'],
		testName: 'exactly 2 submissions',
	},
	// --- The seven that survived the audit of issue 18 -------------------------------------------
	{
		id: 'files-prepared-in-submit-loop',
		what: 'File/mask preparation moved into the submit loop: item 1 is paid for before item 2\'s bad file fails.',
		edits: [
			{ file: EDIT, find: 'state.body = await operation.prepareBody(ctx, state.plan!, gate, signal);', replace: 'state.body = {};' },
			{ file: EDIT, find: 'const body = { ...state.body! };', replace: 'const body = { ...(await operation.prepareBody(ctx, plan, gate, signal)) };' },
		],
		tests: [FAULTS_TEST],
		testName: 'prepares every item',
	},
	{
		id: 'error-item-pairedItem-dropped',
		what: 'Error items (Continue On Fail) carry no pairedItem.',
		edits: [{ file: EDIT, find: 'return { json, pairedItem: { item: state.itemIndex } };', replace: 'return { json };' }],
		tests: [FILES_TEST],
		testName: 'pairs each output item',
	},
	{
		id: 'continue-on-fail-ignored-on-submit',
		what: 'A refused submission fails the whole run even under Continue On Fail.',
		edits: [{ file: EDIT, find: 'if (stopping) {', replace: 'if (states.some((state) => state.error)) {' }],
		tests: [FAULTS_TEST],
		testName: 'refused submission',
	},
	{
		id: 'trigger-dedupe-memory-layer-removed',
		what: 'The trigger forgets the in-process memory of task ids (near-simultaneous repeats both start).',
		edits: [{ file: SEEN_TASKS, find: 'if (!firstTimeInThisProcess(key)) return false;', replace: '' }],
		tests: [TRIGGER_TEST],
		testName: 'near-simultaneous',
	},
	{
		id: 'trigger-dedupe-stored-layer-removed',
		what: 'The trigger ignores the task ids kept in static data (a repeat after a restart starts again).',
		edits: [{ file: SEEN_TASKS, find: 'if (remembered.includes(taskId)) return false;', replace: '' }],
		tests: [TRIGGER_TEST],
		testName: 'after a restart|deactivated and activated',
	},
	{
		id: 'resume-once-guard-disabled',
		what: '"Wait for Callback" resumes once per concurrent callback (n8n 1.x runs the rest twice).',
		edits: [{ file: 'nodes/MidjourneyEdits/actions/image/edit/callbackResume.ts', find: 'if (!firstTimeInThisProcess(`resume:${key}`)) {', replace: 'if (!`resume:${key}`) {' }],
		tests: [CALLBACK_TEST],
		testName: 'arriving twice at once',
	},
	{
		id: 'grid-note-removed',
		what: 'A failed split image no longer says the grid can still be downloaded.',
		edits: [{ file: RESULT_ITEMS, find: "can still be downloaded: choose 'Image File (Grid)' under 'Output' to get it.", replace: 'is there.' }],
		tests: [FILES_TEST],
		testName: 'grid can still be downloaded',
	},
	{
		id: 'grid-note-dropped-from-continue-on-fail-item',
		what: 'Under Continue On Fail the failed split image item keeps the error but not its description.',
		edits: [{ file: RESULT_ITEMS, find: '...(description ? { description } : {})', replace: '' }],
		tests: [FILES_TEST],
		testName: 'also in the Continue On Fail item',
	},
	// --- The most important behaviours, removed outright ----------------------------------------
	{
		id: 'callback-signature-check-removed',
		what: 'Callbacks are accepted without (or with a wrong) signature.',
		edits: [{ file: 'nodes/shared/callbackIntake.ts', find: 'if (check.valid) return true;', replace: 'return true;' }],
		tests: [TRIGGER_TEST, CALLBACK_TEST],
		testName: 'unsigned|tampered|made-up result|cannot resume another',
	},
	{
		id: 'trigger-dedupe-removed',
		what: 'A repeated callback starts the trigger\'s workflow again.',
		edits: [{ file: 'nodes/MidjourneyEditsTrigger/MidjourneyEditsTrigger.node.ts', find: 'if (!rememberTaskOnce(this, taskId)) {', replace: 'if (!taskId) {' }],
		tests: [TRIGGER_TEST],
		testName: 'however often the callback repeats',
	},
	{
		id: 'submission-resent-after-dropped-connection',
		what: 'A submission the API may have accepted (dropped connection) is sent again: billed twice.',
		edits: [{ file: 'nodes/shared/errors.ts', find: "return isNetworkFailure(failure) && NEVER_DELIVERED_NETWORK_CODES.has(failure.code ?? '');", replace: 'return isNetworkFailure(failure);' }],
		tests: [FAULTS_TEST],
		testName: 'dropped connection on submit',
	},
	{
		id: 'empty-prompt-not-checked',
		what: 'An empty prompt is sent to the API (paid) instead of failing before any request.',
		edits: [{ file: 'nodes/MidjourneyEdits/actions/image/edit/plan.ts', find: "if (prompt === '') {", replace: "if (prompt === 'never') {" }],
		tests: [FAULTS_TEST],
		testName: 'empty prompt',
	},
	{
		id: 'cancel-ignored-while-waiting',
		what: 'A cancelled execution keeps sleeping out the poll interval.',
		// Both checks: the poller waits in short slices, each of which would otherwise look at the signal first.
		edits: [
			{
				file: PACING,
				find: '\tthrowIfCancelled(signal);\n\tfor (let left = ms; left > 0; left = until - Date.now()) {\n\t\tawait sleep(Math.min(SLICE_MS, left));\n\t\tthrowIfCancelled(signal);',
				replace: '\tfor (let left = ms; left > 0; left = until - Date.now()) {\n\t\tawait sleep(Math.min(SLICE_MS, left));',
			},
		],
		tests: ['test/workflows/editPoll.test.ts'],
		testName: 'cancels the execution',
	},
	{
		id: 'concurrency-unbounded',
		what: 'Every item is submitted at once, ignoring "Concurrency".',
		// Submissions run under the adaptive limit (issue 16); the test pins its maximum to Concurrency.
		edits: [
			{ file: PACING, find: 'running < limit.current && next < elements.length', replace: 'running < Infinity && next < elements.length' },
			{ file: PACING, find: 'while (this.queue.length > 0 && this.placesTaken < this.current) {', replace: 'while (this.queue.length > 0) {' },
		],
		tests: ['test/workflows/editBatch.test.ts'],
		testName: 'bounded concurrency',
	},
	// --- Issue 17: follow-ups on a finished result (POST /midjourney/imagine) ----------------------
	{
		id: 'followup-offered-actions-unchecked',
		what: "A follow-up the incoming result does not offer (Upscale 2x on a grid) is sent to the API (paid) instead of failing first.",
		edits: [{ file: FOLLOW_UP_PLAN, find: 'checkOffered(ctx, itemIndex, imageId, action);', replace: '' }],
		tests: [FOLLOW_UPS_TEST],
		testName: 'Upscale 2x on a grid',
	},
	{
		id: 'followup-output-names-no-action',
		what: "A follow-up's output does not say which action made it.",
		edits: [{ file: 'nodes/MidjourneyEdits/actions/image/followUp/operation.ts', find: 'resultFields: (plan) => ({ action: plan.action }),', replace: '' }],
		tests: [FOLLOW_UPS_TEST],
		testName: 'upscales quarter 2 of a grid',
	},
	{
		id: 'followup-callback-action-not-from-record',
		what: 'Wait for Callback and the trigger do not read the action from the task record.',
		edits: [{ file: 'nodes/shared/callbackIntake.ts', find: 'const action = followUpActionOfRecord(record);', replace: 'const action = undefined as string | undefined;' }],
		tests: [FOLLOW_UPS_TEST],
		testName: "follow-up's callback starts it",
	},
	{
		id: 'followup-simplify-drops-image-id',
		what: "The Edit's simplified output loses image_id, so Edit -> Upscale needs an expression.",
		edits: [{ file: RESULT_ITEMS, find: "\t'image_id',\n\t'actions',\n", replace: "\t'actions',\n" }],
		tests: [FOLLOW_UPS_TEST],
		testName: 'Edit → Upscale',
	},
	// --- Issue 16: faster than the alternatives ----------------------------------------------------
	{
		id: 'perf-slow-start-doubles',
		what: 'Until the first 429 the window only doubles per round trip (one more per acceptance), as before issue 16.',
		edits: [{ file: PACING, find: 'export const PROBING_GROWTH_PER_ACCEPTANCE = 3;', replace: 'export const PROBING_GROWTH_PER_ACCEPTANCE = 1;' }],
		tests: ['test/unit/adaptivePacing.test.ts'],
		testName: 'quadruples',
	},
	{
		id: 'perf-last-round-not-in-step',
		what: 'Once every task is in, the next round no longer waits for the last one (it can come one interval too early and cost a round).',
		edits: [
			{
				file: 'nodes/shared/taskPoller.ts',
				find: '? Math.max(from + intervalMs, settled)',
				replace: '? Math.max(from + intervalMs, Math.min(settled, from + 2 * intervalMs))',
			},
		],
		tests: ['test/unit/taskPoller.test.ts'],
		testName: 'once every task is in',
	},
];
