/** The parts of SDP (RFC 8866) an RTSP client needs: media sections, their formats, fmtp parameters and controls. */

export interface MediaFormat {
  payloadType: number;
  /** Upper-case, e.g. "H264", "MP2T". */
  encodingName: string;
  clockRate: number;
  channels?: number;
  /** fmtp parameters, keys lower-case (e.g. "packetization-mode", "sprop-parameter-sets"). */
  parameters: Record<string, string>;
}

export interface MediaDescription {
  /** "video", "audio", "application", ... */
  type: string;
  port: number;
  protocol: string;
  /** In the order of the m= line. */
  formats: MediaFormat[];
  control?: string;
  /** Other a= attributes of the section (name -> value, "" for flags). */
  attributes: Record<string, string>;
}

export interface SessionDescription {
  sessionName?: string;
  control?: string;
  attributes: Record<string, string>;
  media: MediaDescription[];
}

/** Static payload types (RFC 3551) that may come without an rtpmap line. */
const STATIC_PAYLOAD_TYPES: Record<number, { encodingName: string; clockRate: number; channels?: number }> = {
  0: { encodingName: 'PCMU', clockRate: 8000, channels: 1 },
  8: { encodingName: 'PCMA', clockRate: 8000, channels: 1 },
  14: { encodingName: 'MPA', clockRate: 90000 },
  26: { encodingName: 'JPEG', clockRate: 90000 },
  32: { encodingName: 'MPV', clockRate: 90000 },
  33: { encodingName: 'MP2T', clockRate: 90000 },
};

export function parseSdp(text: string): SessionDescription {
  const session: SessionDescription = { attributes: {}, media: [] };
  let media: MediaDescription | undefined;
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.trim();
    const match = /^([a-z])=(.*)$/.exec(line);
    if (!match) continue;
    const [, kind, value = ''] = match;
    if (kind === 's' && !media) session.sessionName = value;
    else if (kind === 'm') {
      media = parseMediaLine(value);
      session.media.push(media);
    } else if (kind === 'a') applyAttribute(value, session, media);
  }
  return session;
}

function parseMediaLine(value: string): MediaDescription {
  const [type = '', port = '0', protocol = '', ...formats] = value.split(/\s+/);
  return {
    type,
    port: Number.parseInt(port, 10),
    protocol,
    formats: formats
      .map(Number)
      .filter(Number.isInteger)
      .map((payloadType) => ({
        payloadType,
        ...(STATIC_PAYLOAD_TYPES[payloadType] ?? { encodingName: '', clockRate: 0 }),
        parameters: {},
      })),
    attributes: {},
  };
}

/** An a= line belongs to the latest media section, or to the session before the first m= line. */
function applyAttribute(value: string, session: SessionDescription, media: MediaDescription | undefined): void {
  const target = media ?? session;
  const colon = value.indexOf(':');
  const name = colon < 0 ? value : value.slice(0, colon);
  const rest = colon < 0 ? '' : value.slice(colon + 1).trim();
  if (name === 'control') {
    target.control = rest;
    return;
  }
  if (media && (name === 'rtpmap' || name === 'fmtp')) {
    const [, pt, spec = ''] = /^(\d+)\s+(.*)$/.exec(rest) ?? [];
    const format = media.formats.find((f) => f.payloadType === Number(pt));
    if (format && name === 'rtpmap') {
      const [encodingName = '', clockRate = '0', channels] = spec.split('/');
      Object.assign(format, { encodingName: encodingName.toUpperCase(), clockRate: Number(clockRate) });
      if (channels) format.channels = Number(channels);
    } else if (format) {
      format.parameters = parseFmtp(spec);
    }
    return;
  }
  target.attributes[name] = rest;
}

function parseFmtp(spec: string): Record<string, string> {
  const parameters: Record<string, string> = {};
  for (const part of spec.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    parameters[part.slice(0, eq).trim().toLowerCase()] = part.slice(eq + 1).trim();
  }
  return parameters;
}

/** H.264 parameter sets (SPS, PPS) from the fmtp `sprop-parameter-sets` value: comma-separated base64 NAL units. */
export function parseSpropParameterSets(value: string | undefined): Buffer[] {
  if (!value) return [];
  return value
    .split(',')
    .map((b64) => Buffer.from(b64.trim(), 'base64'))
    .filter((nal) => nal.length > 0);
}

/**
 * Resolves an SDP control attribute against the base URL (Content-Base, else Content-Location, else the DESCRIBE
 * URL). Relative controls are appended to the base, as servers expect in practice (FFmpeg and live555 do the same),
 * rather than replacing the last path segment as RFC 3986 resolution would.
 */
export function resolveControlUrl(control: string | undefined, baseUrl: string): string {
  if (!control || control === '*') return baseUrl;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(control)) return control;
  return baseUrl.endsWith('/') ? `${baseUrl}${control.replace(/^\//, '')}` : `${baseUrl}/${control.replace(/^\//, '')}`;
}
