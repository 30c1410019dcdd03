/**
 * Which URLs n8n may fetch on the strength of data it received (result image links). Node code may
 * not resolve host names itself (n8n's community-node rules allow no `dns`/`net` imports), so this
 * judges the URL as written: literal addresses in private, loopback, link-local, CGNAT, reserved or
 * IPv4-mapped ranges and internal-looking names are refused. A public name that resolves to a
 * private address is beyond what a node can see: n8n's own SSRF protection covers that
 * (README, "Security").
 */

/** Why a download URL is refused, or undefined when it may be fetched. */
export function refusedDownloadReason(url: string, exemptHost?: string): string | undefined {
	let parsed: URL;
	try {
		parsed = new URL(url);
	} catch {
		return 'it is not a valid URL';
	}
	if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return `its scheme ${parsed.protocol} is not http(s)`;
	if (parsed.username || parsed.password) return 'it carries a user name or password';
	// The credential's own API host (a self-hosted proxy or a local test fake) is trusted already:
	// the token goes there. Only that exact host and port.
	if (exemptHost && parsed.host.toLowerCase() === exemptHost.toLowerCase()) return undefined;
	const host = parsed.hostname.toLowerCase().replace(/\.$/, '');
	if (host.startsWith('[')) return isPublicIpv6(host.slice(1, -1)) ? undefined : 'it points to a non-public IPv6 address';
	const ipv4 = ipv4Octets(host);
	if (ipv4) return isPublicIpv4(ipv4) ? undefined : 'it points to a non-public IPv4 address';
	if (!host.includes('.')) return 'its host name is not a public domain';
	if (/\.(localhost|local|internal|intranet|lan|home|corp|home\.arpa)$/.test(host)) return 'its host name is internal';
	return undefined;
}

/** The WHATWG URL parser already turned 0x7f.1, 2130706433 and the like into dotted decimal. */
function ipv4Octets(host: string): number[] | undefined {
	const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
	if (!match) return undefined;
	const octets = match.slice(1).map(Number);
	return octets.every((octet) => octet <= 255) ? octets : undefined;
}

function isPublicIpv4([a, b, c]: number[]): boolean {
	return !(
		a === 0 || // "this network", 0.0.0.0
		a === 10 ||
		a === 127 ||
		(a === 100 && b >= 64 && b <= 127) || // CGNAT
		(a === 169 && b === 254) || // link-local, cloud metadata
		(a === 172 && b >= 16 && b <= 31) ||
		(a === 192 && b === 168) ||
		(a === 192 && b === 0 && (c === 0 || c === 2)) ||
		(a === 198 && (b === 18 || b === 19)) ||
		(a === 198 && b === 51 && c === 100) ||
		(a === 203 && b === 0 && c === 113) ||
		a >= 224 // multicast, reserved, broadcast
	);
}

/** Expands an IPv6 address (as the URL parser prints it) into 8 numbers, or undefined. */
function ipv6Hextets(address: string): number[] | undefined {
	let text = address;
	const embedded = /(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})$/.exec(text);
	if (embedded) {
		const octets = ipv4Octets(embedded[1]);
		if (!octets) return undefined;
		text = `${text.slice(0, -embedded[1].length)}${((octets[0] << 8) | octets[1]).toString(16)}:${((octets[2] << 8) | octets[3]).toString(16)}`;
	}
	const halves = text.split('::');
	if (halves.length > 2) return undefined;
	const parse = (part: string) => (part === '' ? [] : part.split(':').map((hextet) => parseInt(hextet, 16)));
	const head = parse(halves[0]);
	const tail = halves.length === 2 ? parse(halves[1]) : [];
	const missing = 8 - head.length - tail.length;
	if (halves.length === 1 ? missing !== 0 : missing < 0) return undefined;
	const hextets = [...head, ...Array<number>(halves.length === 2 ? missing : 0).fill(0), ...tail];
	return hextets.every((value) => Number.isInteger(value) && value >= 0 && value <= 0xffff) ? hextets : undefined;
}

function isPublicIpv6(address: string): boolean {
	const hextets = ipv6Hextets(address);
	if (!hextets) return false;
	const [first] = hextets;
	const allZeroUpTo = (count: number) => hextets.slice(0, count).every((value) => value === 0);
	if (allZeroUpTo(8)) return false; // ::
	if (allZeroUpTo(7) && hextets[7] === 1) return false; // ::1
	if (allZeroUpTo(5) && hextets[5] === 0xffff) return false; // IPv4-mapped ::ffff:a.b.c.d
	if (allZeroUpTo(6)) return false; // IPv4-compatible (deprecated)
	if (first === 0x64 && hextets[1] === 0xff9b) return false; // NAT64 reaches IPv4 space
	if ((first & 0xfe00) === 0xfc00) return false; // unique local fc00::/7
	if ((first & 0xffc0) === 0xfe80) return false; // link-local fe80::/10
	if ((first & 0xff00) === 0xff00) return false; // multicast
	if (first === 0x2001 && hextets[1] === 0x0db8) return false; // documentation
	if (first === 0x2002) return false; // 6to4 embeds any IPv4 address
	return true;
}
