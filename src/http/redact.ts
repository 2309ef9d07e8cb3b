/** Replaces the value of every `key=` query parameter, so keys never reach a log line. */
export function redactUrl(url: string): string {
  return url.replace(/([?&]\s*key\s*=)[^&#]*/gi, '$1[REDACTED]');
}
