/* eslint-disable @n8n/community-nodes/no-restricted-globals, @n8n/community-nodes/no-restricted-imports -- runs in Node (tests, dev tools), never inside n8n; not published; see scripts/lint-headers.mjs */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { Credentials } from 'n8n-core';
import type {
	ICredentialDataDecryptedObject,
	ICredentialType,
	IHttpRequestOptions,
	INode,
	INodeCredentialsDetails,
	INodeParameters,
	INodeProperties,
	IRequestOptionsSimplified,
	IWorkflowExecuteAdditionalData,
	Workflow,
} from 'n8n-workflow';
import { ICredentialsHelper, NodeHelpers, UnexpectedError, isExpression } from 'n8n-workflow';

import type { CredentialTypeImplementation, CredentialsByType } from './types';

/** Where the package keeps its credential classes; they are found here without being passed in. */
const REPO_CREDENTIALS_DIR = path.resolve(__dirname, '../../credentials');

function instantiate(implementation: CredentialTypeImplementation): ICredentialType {
	return typeof implementation === 'function' ? new implementation() : implementation;
}

function isCredentialTypeClass(value: unknown): value is new () => ICredentialType {
	return typeof value === 'function' && value.prototype !== undefined;
}

let repoCredentialTypes: Map<string, ICredentialType> | undefined;

/**
 * Loaded on first need only, so a credential file that another engineer is still writing cannot
 * break tests that do not use it; files that fail to load are skipped.
 */
function loadRepoCredentialTypes(): Map<string, ICredentialType> {
	if (repoCredentialTypes) return repoCredentialTypes;
	repoCredentialTypes = new Map();
	let fileNames: string[] = [];
	try {
		fileNames = readdirSync(REPO_CREDENTIALS_DIR).filter((fileName) =>
			/\.credentials\.ts$/.test(fileName),
		);
	} catch {
		return repoCredentialTypes;
	}
	for (const fileName of fileNames) {
		try {
			// eslint-disable-next-line @typescript-eslint/no-require-imports
			const exported = require(path.join(REPO_CREDENTIALS_DIR, fileName)) as Record<string, unknown>;
			for (const value of Object.values(exported)) {
				if (!isCredentialTypeClass(value)) continue;
				const credentialType = new value();
				if (typeof credentialType.name === 'string' && Array.isArray(credentialType.properties)) {
					repoCredentialTypes.set(credentialType.name, credentialType);
				}
			}
		} catch {
			// A broken credential file only matters to the tests that need it; they fail with
			// "Unknown credential type" below.
		}
	}
	return repoCredentialTypes;
}

/**
 * Stands in for n8n's CredentialsHelper (packages/cli): hands out the decrypted data a test gives
 * per credential type (with the type's defaults filled in, as n8n does) and applies the type's
 * `authenticate` definition to requests, resolving `={{$credentials.x}}` with n8n's expression
 * engine. Records every credential type a node asked for.
 */
export class HarnessCredentialsHelper extends ICredentialsHelper {
	readonly requestedTypes: string[] = [];

	private readonly explicitTypes = new Map<string, ICredentialType>();

	/** A copy, so token refreshes a node triggers do not leak into the test's own object. */
	private readonly credentialsByType: CredentialsByType;

	constructor(credentialsByType: CredentialsByType = {}, credentialTypes: CredentialTypeImplementation[] = []) {
		super();
		this.credentialsByType = { ...credentialsByType };
		for (const implementation of credentialTypes) {
			const credentialType = instantiate(implementation);
			this.explicitTypes.set(credentialType.name, credentialType);
		}
	}

	findCredentialType(typeName: string): ICredentialType | undefined {
		return this.explicitTypes.get(typeName) ?? loadRepoCredentialTypes().get(typeName);
	}

	private getCredentialType(typeName: string): ICredentialType {
		const credentialType = this.findCredentialType(typeName);
		if (!credentialType) {
			throw new UnexpectedError(
				`Unknown credential type "${typeName}": pass its class in the harness option "credentialTypes"`,
			);
		}
		return credentialType;
	}

	async getDecrypted(
		_additionalData: IWorkflowExecuteAdditionalData,
		nodeCredentials: INodeCredentialsDetails,
		type: string,
	): Promise<ICredentialDataDecryptedObject> {
		this.requestedTypes.push(type);
		const data = this.credentialsByType[type];
		if (data === undefined) {
			// The message n8n gives when a workflow references a credential that does not exist.
			throw new UnexpectedError(
				`Credential with ID "${nodeCredentials.id ?? ''}" does not exist for type "${type}".`,
			);
		}
		const credentialType = this.findCredentialType(type);
		if (!credentialType) return { ...data };
		const withDefaults = NodeHelpers.getNodeParameters(
			this.getCredentialsProperties(type),
			data as INodeParameters,
			true,
			false,
			null,
			null,
		);
		return { ...(withDefaults as ICredentialDataDecryptedObject), ...data };
	}

	async authenticate(
		credentials: ICredentialDataDecryptedObject,
		typeName: string,
		requestOptions: IHttpRequestOptions | IRequestOptionsSimplified,
		workflow?: Workflow,
		node?: INode,
	): Promise<IHttpRequestOptions> {
		const { authenticate } = this.getCredentialType(typeName);
		if (typeof authenticate === 'function') {
			return await authenticate(credentials, requestOptions as IHttpRequestOptions);
		}
		if (authenticate?.type === 'generic') {
			if (!workflow || !node) {
				throw new UnexpectedError('Workflow and node are required for declarative authentication');
			}
			const resolve = (value: string): string => {
				if (!isExpression(value)) return value;
				const resolved = workflow.expression.getSimpleParameterValue(
					node,
					value,
					'internal',
					{ $credentials: credentials },
					undefined,
					'',
				);
				return resolved === undefined || resolved === null ? '' : String(resolved);
			};
			const target = requestOptions as unknown as Record<string, Record<string, unknown>>;
			for (const [section, entries] of Object.entries(authenticate.properties)) {
				target[section] ??= {};
				for (const [key, value] of Object.entries(entries as Record<string, string>)) {
					target[section][resolve(key)] = resolve(value);
				}
			}
		}
		return requestOptions as IHttpRequestOptions;
	}

	async preAuthentication(): Promise<ICredentialDataDecryptedObject | undefined> {
		return undefined;
	}

	async runPreAuthentication(): Promise<ICredentialDataDecryptedObject | undefined> {
		return undefined;
	}

	/** Credential inheritance (`extends`, used by OAuth2 types) is not needed by our types. */
	getParentTypes(): string[] {
		return [];
	}

	isCredentialUsableByNode(): boolean {
		return true;
	}

	getCredentialsProperties(type: string): INodeProperties[] {
		return this.getCredentialType(type).properties;
	}

	async getCredentials(nodeCredentials: INodeCredentialsDetails, type: string): Promise<Credentials> {
		const credentials = new Credentials({ id: nodeCredentials.id, name: nodeCredentials.name }, type);
		await credentials.setData(this.credentialsByType[type] ?? {});
		return credentials;
	}

	async updateCredentials(
		_nodeCredentials: INodeCredentialsDetails,
		type: string,
		data: ICredentialDataDecryptedObject,
	): Promise<void> {
		this.credentialsByType[type] = data;
	}

	async updateCredentialsOauthTokenData(
		_nodeCredentials: INodeCredentialsDetails,
		type: string,
		data: ICredentialDataDecryptedObject,
	): Promise<void> {
		this.credentialsByType[type] = { ...this.credentialsByType[type], ...data };
	}
}
