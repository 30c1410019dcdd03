import type {
	ExecutionError,
	ExecutionStatus,
	IBinaryData,
	ICredentialDataDecryptedObject,
	ICredentialType,
	IConnections,
	IDataObject,
	INode,
	INodeExecutionData,
	INodeParameters,
	INodeType,
	IPinData,
	IRun,
	IRunExecutionData,
	ITaskData,
	IVersionedNodeType,
	IWebhookResponseData,
	IWorkflowSettings,
	WebhookType,
	WorkflowExecuteMode,
} from 'n8n-workflow';

/** A workflow as n8n exports it (`*.workflow.json`). Only the fields the harness reads are typed. */
export interface WorkflowFixture {
	id?: string;
	name: string;
	nodes: INode[];
	connections: IConnections;
	settings?: IWorkflowSettings;
	staticData?: IDataObject;
	pinData?: IPinData;
	[otherExportedField: string]: unknown;
}

/** A node implementation given as an instance or as its class. */
export type NodeTypeImplementation =
	| INodeType
	| IVersionedNodeType
	| (new () => INodeType | IVersionedNodeType);

/** A credential type given as an instance or as its class. */
export type CredentialTypeImplementation = ICredentialType | (new () => ICredentialType);

/** Credential data by credential TYPE name, e.g. `{ aceDataCloudApi: { apiToken: 't', baseUrl: 'http://…' } }`. */
export type CredentialsByType = Record<string, ICredentialDataDecryptedObject>;

/**
 * 'default' keeps binary data inline (base64 in `data`, n8n's in-memory mode);
 * 'filesystem' writes files to a temp dir and leaves only an id in the item, so a node that reads
 * `binary.x.data` directly instead of calling `getBinaryDataBuffer` gets the wrong bytes.
 */
export type BinaryMode = 'default' | 'filesystem';

/** An input file as a test writes it: the harness stores it through the binary data service. */
export interface InputBinaryFile {
	data: Buffer;
	mimeType: string;
	fileName?: string;
}

export interface InputItem {
	json: IDataObject;
	binary?: Record<string, InputBinaryFile | IBinaryData>;
}

export interface RunWorkflowOptions {
	/** Decrypted credential data by credential type, matched by the type each node references. */
	credentials?: CredentialsByType;
	/** Credential type definitions beyond those found in the repo's `credentials/` folder. */
	credentialTypes?: CredentialTypeImplementation[];
	/** Node implementations by the full type string used in the fixture. */
	nodeTypes?: Record<string, NodeTypeImplementation>;
	/** Items the start node outputs (default: one empty item). */
	input?: InputItem[];
	/** Per node name, deep-merged into the fixture's parameters (arrays are replaced, not merged). */
	parameters?: Record<string, INodeParameters>;
	/** Per node name, node settings such as `onError`, `retryOnFail`, `disabled`, `credentials`. */
	nodeSettings?: Record<string, Partial<Omit<INode, 'name' | 'parameters'>>>;
	/** Merged over the fixture's workflow settings. */
	settings?: IWorkflowSettings;
	/** Workflow static data; the same object is read and written by the nodes. */
	staticData?: IDataObject;
	/** Cancel the execution (like the user pressing stop) after this many milliseconds. */
	cancelAfterMs?: number;
	/**
	 * Cancel the execution when this promise resolves (e.g. once the fake API has seen a request):
	 * a positive signal instead of a guessed delay. A rejection fails the run's promise.
	 */
	cancelWhen?: Promise<unknown>;
	binaryMode?: BinaryMode;
	/** Execution mode (default 'manual', what "Execute workflow" in the editor uses). */
	mode?: WorkflowExecuteMode;
	/** Name of the node the execution starts at (default: the Manual Trigger, else n8n's own choice). */
	startNode?: string;
	/** Use the fixture's pinData like n8n does in manual mode (default true). */
	usePinData?: boolean;
}

/** What a fake express response recorded. */
export interface RecordedResponse {
	statusCode: number;
	headers: Record<string, string>;
	/** The body as written: an object for `json()`, else a string or Buffer; undefined if nothing was written. */
	body: unknown;
	/** True once the node (or the harness) ended the response. */
	ended: boolean;
}

export interface WorkflowRunResult {
	executionId: string;
	status: ExecutionStatus;
	/** The execution error (with `message`, and `description` for node errors), if any. */
	error?: ExecutionError;
	/** Set while the execution waits (`putExecutionToWait`). */
	waitTill?: Date;
	/** `$execution.resumeUrl` of this execution, with n8n's `?signature=` token. */
	resumeUrl: string;
	/** Credential types the nodes asked for, in order (each `getCredentials`), over the execution so far. */
	requestedCredentialTypes: string[];
	/** Node names in the order they finished. */
	executedNodes: string[];
	run: IRun;
	runExecutionData: IRunExecutionData;
	/** Output items of a node's run (default: first run, main output 0). Throws if the node did not run. */
	nodeOutputs(nodeName: string, options?: { runIndex?: number; outputIndex?: number }): INodeExecutionData[];
	/** The error a node's run ended with (default: first run), if any. */
	nodeError(nodeName: string, runIndex?: number): ExecutionError | undefined;
	/** All runs of a node (empty if it never ran). */
	nodeRuns(nodeName: string): ITaskData[];
	/** Reads an output binary back through the binary data service. */
	binaryBuffer(item: INodeExecutionData, property?: string): Promise<Buffer>;
	/** For results of a resume: what the caller of the resume URL received. */
	resumeResponse?: RecordedResponse;
}

/** A request to a webhook as a test describes it. Header names are matched case-insensitively. */
export interface WebhookRequestInput {
	body?: unknown;
	headers?: Record<string, string>;
	query?: Record<string, string>;
	method?: string;
	/** Raw body bytes (default: JSON of `body`). */
	rawBody?: Buffer;
}

export interface ResumeRequestInput extends WebhookRequestInput {
	/** The URL the request goes to (default: the execution's resume URL, signature included). */
	url?: string;
}

export interface TriggerWebhookOptions {
	credentials?: CredentialsByType;
	credentialTypes?: CredentialTypeImplementation[];
	/** Workflow static data; pass the same object to later calls to see what the node stored. */
	staticData?: IDataObject;
	/** Node credentials (default: one entry per credential type the node declares). */
	nodeCredentials?: INode['credentials'];
	/** Webhook name in the node description (default 'default'). */
	webhookName?: WebhookType;
	/** Default 'webhook' (a production webhook); 'manual' for the editor's test webhook. */
	mode?: WorkflowExecuteMode;
	/** Node name and webhookId used for the node (defaults: 'Trigger', a fixed id). */
	nodeName?: string;
	webhookId?: string;
	typeVersion?: number;
}

export interface TriggerWebhookResult extends IWebhookResponseData {
	/** What the node wrote on the response object. */
	response: RecordedResponse;
	responseStatus: number;
	responseBody: unknown;
	requestedCredentialTypes: string[];
	/** Reads a binary of `workflowData` back through the binary data service. */
	binaryBuffer(item: INodeExecutionData, property?: string): Promise<Buffer>;
}

export type WebhookSetupMethod = 'checkExists' | 'create' | 'delete';
