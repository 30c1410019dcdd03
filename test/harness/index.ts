/**
 * In-process workflow test harness: runs exported workflow fixtures (`*.workflow.json`) through
 * n8n-core's real engine (WorkflowExecute, its execution contexts, request helpers and
 * BinaryDataService), so a test sees what n8n does with our nodes.
 *
 *   const result = await runWorkflow('test/fixtures/edit.workflow.json', {
 *     nodeTypes: { 'n8n-nodes-midjourney-edits.midjourneyEdits': MidjourneyEdits },
 *     credentials: { aceDataCloudApi: { apiToken: 't', baseUrl: fakeApi.url } },
 *     parameters: { 'Edit Image': { prompt: 'a cat' } },
 *   });
 *   expect(result.status).toBe('success');
 *   expect(result.nodeOutputs('Edit Image')[0].json).toMatchObject({ … });
 *
 * Credential types are found in the repo's `credentials/` folder (or passed as `credentialTypes`).
 * 'n8n-nodes-base.manualTrigger', 'n8n-nodes-base.noOp' and 'n8n-nodes-base.stickyNote' are built in.
 * Resume URLs (`$execution.resumeUrl`) point at a real listener on 127.0.0.1, so a fake API can call
 * a waiting execution back over HTTP; `waitForResumedRun` then yields the resumed run.
 *
 * Things n8n does that tests should expect:
 * - onError 'continueRegularOutput' only yields error items if the node catches and checks
 *   `this.continueOnFail()`; a node that throws as a whole passes its input on instead, and if it is
 *   the last node the execution still ends with status 'error'.
 * - `prepareBinaryData` without a MIME type sniffs the bytes with the ESM-only `file-type`, which
 *   jest can only load when node runs with --experimental-vm-modules.
 * Runs that overlap in time must use the same `binaryMode` (n8n-core reads one global service).
 */
export {
	getHarnessBaseUrl,
	resumeAfterWaitTimeout,
	resumeWaitingExecution,
	runWorkflow,
	waitForResumedRun,
} from './engine';
export { closeHarnessServer } from './harness-server';
export { HarnessCredentialsHelper } from './credentials-helper';
export { deepMerge, loadWorkflowFixture } from './fixture';
export { HarnessManualTrigger, HarnessNoOp, HarnessNodeTypes } from './node-types';
export { DEFAULT_TRIGGER_WEBHOOK_ID, callTriggerWebhook, callWebhookMethod } from './triggers';
export type * from './types';
