/* eslint-disable @n8n/community-nodes/no-restricted-globals, @n8n/community-nodes/no-restricted-imports -- runs in Node (tests, dev tools), never inside n8n; not published; see scripts/lint-headers.mjs */
/**
 * What the benchmark measures, apart from n8n itself: process memory read from /proc (Linux), and
 * API requests counted from the fake's request log. Nothing here asserts anything about time.
 */
import * as fs from 'fs';

import type { RequestLogEntry } from '../../test/fake-api/fakeAceDataCloud';

// ---------------------------------------------------------------------------------------------
// Memory (/proc)
// ---------------------------------------------------------------------------------------------

/** A `Vm*` field of /proc/<pid>/status in KiB; undefined when the process is gone. */
export function procStatusKb(pid: number, field: 'VmRSS' | 'VmHWM'): number | undefined {
	let status: string;
	try {
		status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
	} catch {
		return undefined;
	}
	const match = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(status);
	return match ? Number(match[1]) : undefined;
}

/**
 * Sets the process's peak RSS (VmHWM) back to its current RSS (`echo 5 > /proc/<pid>/clear_refs`,
 * Linux 4.0+), so the VmHWM read after a run is the peak of that run, not of n8n's start-up.
 * Returns false where the kernel or permissions do not allow it.
 */
export function resetPeakRss(pid: number): boolean {
	try {
		fs.writeFileSync(`/proc/${pid}/clear_refs`, '5');
		return true;
	} catch {
		return false;
	}
}

/** Every process below `pid` (n8n's task runner and whatever it starts), found through /proc. */
export function descendantPids(pid: number): number[] {
	const parentOf = new Map<number, number>();
	for (const entry of fs.readdirSync('/proc')) {
		if (!/^\d+$/.test(entry)) continue;
		try {
			// Field 4 of /proc/<pid>/stat is the parent; the command (field 2) may contain spaces, so
			// read after its closing parenthesis.
			const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
			const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
			parentOf.set(Number(entry), Number(fields[1]));
		} catch {
			// The process ended while we looked.
		}
	}
	const found: number[] = [];
	const frontier = [pid];
	while (frontier.length > 0) {
		const parent = frontier.pop()!;
		for (const [child, childParent] of parentOf) {
			if (childParent === parent && !found.includes(child)) {
				found.push(child);
				frontier.push(child);
			}
		}
	}
	return found.sort((a, b) => a - b);
}

export interface RssSamples {
	/** Highest VmRSS of the main process seen by the sampler, KiB. */
	mainPeakKb: number;
	/** Highest sum of VmRSS over all child processes seen at one sample, KiB (0: no children). */
	childrenPeakKb: number;
	/** Child processes seen during the run (pids). */
	childPids: number[];
	sampleCount: number;
}

/**
 * Samples VmRSS of a process and its children every `intervalMs` (200 ms): the fallback when
 * VmHWM cannot be reset, and the only view of the task runner, which is a separate process.
 */
export class RssSampler {
	private readonly samples: RssSamples = { mainPeakKb: 0, childrenPeakKb: 0, childPids: [], sampleCount: 0 };
	private timer: NodeJS.Timeout | undefined;

	constructor(
		private readonly pid: number,
		private readonly intervalMs = 200,
	) {}

	start(): void {
		this.sample();
		this.timer = setInterval(() => this.sample(), this.intervalMs);
	}

	stop(): RssSamples {
		if (this.timer) clearInterval(this.timer);
		this.timer = undefined;
		this.sample();
		return { ...this.samples, childPids: [...this.samples.childPids] };
	}

	private sample(): void {
		const main = procStatusKb(this.pid, 'VmRSS');
		if (main === undefined) return;
		let children = 0;
		for (const child of descendantPids(this.pid)) {
			children += procStatusKb(child, 'VmRSS') ?? 0;
			if (!this.samples.childPids.includes(child)) this.samples.childPids.push(child);
		}
		this.samples.mainPeakKb = Math.max(this.samples.mainPeakKb, main);
		this.samples.childrenPeakKb = Math.max(this.samples.childrenPeakKb, children);
		this.samples.sampleCount++;
	}
}

// ---------------------------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------------------------

export interface RequestCounts {
	/** POST /midjourney/edits. */
	submits: number;
	/** POST /midjourney/tasks, any action; a retrieve_batch for many tasks counts as one. */
	lookups: number;
	/** Lookups by action ('retrieve', 'retrieve_batch', ...). */
	lookupsByAction: Record<string, number>;
	/** Other requests to the API (uploads, unknown paths). */
	other: number;
	/** Submissions the API refused with 429 (counted in `submits` too: they are requests). */
	rateLimited: number;
	/** submits + lookups + other. */
	total: number;
	/** Lookups grouped into poll rounds (see pollRounds). */
	rounds: number[];
	/** From the first accepted submission to the last one (how long submitting the batch took), ms. */
	submitSpanMs: number;
	/** When the last accepted submission arrived, ms after `sinceMs` (its job is the batch's last to end). */
	lastSubmitMs: number;
	/** When each poll round's first lookup arrived, ms after `sinceMs` (shows how rounds drift). */
	roundStartsMs: number[];
}

function lookupAction(entry: RequestLogEntry): string {
	const body = entry.body;
	if (body && typeof body === 'object' && !Array.isArray(body) && typeof (body as { action?: unknown }).action === 'string') {
		return (body as { action: string }).action;
	}
	return 'unknown';
}

/**
 * Groups request times into poll rounds: a new round starts after a quiet gap of at least
 * `gapMs`. The baseline's per-item lookups of one round arrive within milliseconds of each other,
 * rounds are a poll interval apart, so half an interval separates them cleanly.
 */
export function pollRounds(times: number[], gapMs: number): number[] {
	const sorted = [...times].sort((a, b) => a - b);
	const rounds: number[] = [];
	let previous = -Infinity;
	for (const time of sorted) {
		if (time - previous >= gapMs || rounds.length === 0) rounds.push(1);
		else rounds[rounds.length - 1]++;
		previous = time;
	}
	return rounds;
}

/** Counts what n8n asked the API from `sinceMs` on (the fake's log also holds CDN downloads: left out). */
export function countApiRequests(entries: readonly RequestLogEntry[], sinceMs: number, roundGapMs: number): RequestCounts {
	const counts: RequestCounts = { submits: 0, rateLimited: 0, lookups: 0, lookupsByAction: {}, other: 0, total: 0, rounds: [], submitSpanMs: 0, lastSubmitMs: 0, roundStartsMs: [] };
	const lookupTimes: number[] = [];
	const submitTimes: number[] = [];
	for (const entry of entries) {
		if (entry.at < sinceMs) continue;
		if (entry.method === 'POST' && entry.path === '/midjourney/edits') {
			counts.submits++;
			if (entry.status === 429) counts.rateLimited++;
			else submitTimes.push(entry.at);
		} else if (entry.method === 'POST' && entry.path === '/midjourney/tasks') {
			counts.lookups++;
			const action = lookupAction(entry);
			counts.lookupsByAction[action] = (counts.lookupsByAction[action] ?? 0) + 1;
			lookupTimes.push(entry.at);
		} else if (entry.path.startsWith('/midjourney/') || entry.path.startsWith('/api/')) {
			counts.other++;
		}
	}
	counts.total = counts.submits + counts.lookups + counts.other;
	counts.rounds = pollRounds(lookupTimes, roundGapMs);
	const sortedLookups = [...lookupTimes].sort((a, b) => a - b);
	let seen = 0;
	for (const size of counts.rounds) {
		counts.roundStartsMs.push(sortedLookups[seen] - sinceMs);
		seen += size;
	}
	counts.submitSpanMs = submitTimes.length > 0 ? Math.max(...submitTimes) - Math.min(...submitTimes) : 0;
	counts.lastSubmitMs = submitTimes.length > 0 ? Math.max(...submitTimes) - sinceMs : 0;
	return counts;
}

// ---------------------------------------------------------------------------------------------
// Output
// ---------------------------------------------------------------------------------------------

/** A Markdown table with right-aligned columns except the first (pastes into BENCHMARKS.md as is). */
export function markdownTable(header: string[], rows: string[][]): string {
	const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)));
	const line = (cells: string[]) =>
		`| ${cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column]))).join(' | ')} |`;
	const rule = `|${widths.map((width, column) => (column === 0 ? `${'-'.repeat(width + 1)}-` : `${'-'.repeat(width + 1)}:`)).join('|')}|`;
	return [line(header), rule, ...rows.map(line)].join('\n');
}

export function seconds(ms: number | undefined, digits = 1): string {
	return ms === undefined || !Number.isFinite(ms) ? 'n/a' : (ms / 1000).toFixed(digits);
}

export function mebibytes(kb: number | undefined): string {
	return kb === undefined || !Number.isFinite(kb) ? 'n/a' : (kb / 1024).toFixed(0);
}

export function ratio(ours: number | undefined, baseline: number | undefined, digits = 2): string {
	if (ours === undefined || baseline === undefined || !Number.isFinite(ours) || !Number.isFinite(baseline) || baseline === 0) {
		return 'n/a';
	}
	return (ours / baseline).toFixed(digits);
}
