/**
 * The pipeline file's `alerts:` section: a list of rules, each `on` some events, sent `to` targets.
 * Every value is checked here (no component schema covers it). A webhook URL is a secret, so a
 * literal URL anywhere in the section is an error: it belongs in an environment variable or a file.
 */
import { isMap, isScalar, isSeq, type Node, type Pair, type YAMLMap } from 'yaml';
import type { Reporter } from './source.ts';
import {
  ALERT_EVENTS,
  ALERT_RULE_KEYS,
  ALERT_SEVERITIES,
  ALERT_TARGET_KEYS,
  type AlertEventKind,
  type AlertRule,
  type AlertTarget,
} from '../core/pipeline-spec.ts';
import { didYouMean } from './suggest.ts';

const URL_LIKE = /^[a-z][a-z0-9+.-]*:\/\//i;
export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

type AnyPair = Pair<Node, Node | null>;

function pairsOf(map: YAMLMap): { key: string; pair: AnyPair }[] {
  return map.items
    .map((item) => item as AnyPair)
    .filter((p) => isScalar(p.key))
    .map((p) => ({ key: String((p.key as { value: unknown }).value), pair: p }));
}

/** Reports every URL-looking scalar under `node`: the one mistake that leaks a secret. */
function rejectLiteralUrls(node: Node | null, reporter: Reporter, field: string): boolean {
  let found = false;
  const visit = (n: unknown) => {
    if (isScalar(n)) {
      if (typeof n.value === 'string' && URL_LIKE.test(n.value)) {
        found = true;
        reporter.error(
          'literal-webhook-url',
          'A URL is written in the pipeline file. Webhook URLs are secrets: put it in an environment variable ({ webhook: { url_env: NAME } }) or a file outside the pipeline ({ webhook: { url_file: PATH } }).',
          n,
          { field },
        );
      }
    } else if (isMap(n)) {
      for (const item of n.items) visit((item as AnyPair).value);
    } else if (isSeq(n)) {
      for (const item of n.items) visit(item);
    }
  };
  visit(node);
  return found;
}

function stringList(node: Node | null): string[] | undefined {
  if (isScalar(node) && typeof node.value === 'string' && node.value) return [node.value];
  if (isSeq(node) && node.items.length && node.items.every((i) => isScalar(i) && typeof i.value === 'string' && i.value)) {
    return node.items.map((i) => String((i as { value: unknown }).value));
  }
  return undefined;
}

export function readAlerts(value: Node | null, pair: Pair, reporter: Reporter): AlertRule[] | undefined {
  if (value === null || (isScalar(value) && value.value === null)) return [];
  if (rejectLiteralUrls(value, reporter, 'alerts')) return undefined;
  if (!isSeq(value)) {
    reporter.error('invalid-alert', '"alerts" must be a list of rules: - { on: [...], to: [...] }.', value ?? (pair.key as Node), { field: 'alerts' });
    return undefined;
  }
  const rules: AlertRule[] = [];
  value.items.forEach((item, i) => {
    const rule = readRule(item as Node, i, reporter);
    if (rule) rules.push(rule);
  });
  return rules;
}

function readRule(node: Node, index: number, reporter: Reporter): AlertRule | undefined {
  const field = `alerts.${index}`;
  if (!isMap(node)) {
    reporter.error('invalid-alert', `Alert rule ${index + 1} must be a map with "on" and "to".`, node, { field });
    return undefined;
  }
  const rule: Partial<AlertRule> = {};
  let ok = true;
  const bad = (at: Node | undefined, message: string, sub: string) => {
    ok = false;
    reporter.error('invalid-alert', message, at, { field: `${field}.${sub}` });
  };
  for (const { key, pair } of pairsOf(node)) {
    const at = pair.value ?? (pair.key as Node);
    switch (key) {
      case 'on': {
        const events = stringList(pair.value);
        const unknown = (events ?? []).filter((e) => !(ALERT_EVENTS as readonly string[]).includes(e));
        if (!events || unknown.length) {
          const hint = unknown.length ? didYouMean(unknown[0], ALERT_EVENTS) : '';
          bad(at, `Alert rule ${index + 1}: "on" must be one or a list of ${ALERT_EVENTS.join(', ')}${unknown.length ? `, not "${unknown[0]}"` : ''}.${hint}`, 'on');
        } else {
          rule.on = events as AlertEventKind[];
        }
        break;
      }
      case 'severity': {
        const v = isScalar(pair.value) ? String(pair.value.value).toUpperCase() : '';
        if ((ALERT_SEVERITIES as readonly string[]).includes(v)) rule.severity = v as AlertRule['severity'];
        else bad(at, `Alert rule ${index + 1}: "severity" must be WARNING or ERROR.`, 'severity');
        break;
      }
      case 'nodes': {
        const nodes = stringList(pair.value);
        if (nodes) rule.nodes = nodes;
        else bad(at, `Alert rule ${index + 1}: "nodes" must be a node id or a list of node ids.`, 'nodes');
        break;
      }
      case 'to': {
        const targets = isSeq(pair.value) ? pair.value.items : isMap(pair.value) ? [pair.value] : undefined;
        if (!targets?.length) {
          bad(at, `Alert rule ${index + 1}: "to" must list at least one target (webhook, command or notification).`, 'to');
          break;
        }
        const read = targets.map((t, j) => readTarget(t as Node, `${field}.to.${j}`, reporter));
        if (read.every((t) => t !== undefined)) rule.to = read as AlertTarget[];
        else ok = false;
        break;
      }
      default:
        bad(pair.key as Node, `Unknown key "${key}" in alert rule ${index + 1}; expected one of ${ALERT_RULE_KEYS.join(', ')}.${didYouMean(key, ALERT_RULE_KEYS)}`, key);
    }
  }
  if (!rule.on && ok) bad(node, `Alert rule ${index + 1} has no "on".`, 'on');
  if (!rule.to && ok) bad(node, `Alert rule ${index + 1} has no "to".`, 'to');
  return ok && rule.on && rule.to ? (rule as AlertRule) : undefined;
}

function readTarget(node: Node, field: string, reporter: Reporter): AlertTarget | undefined {
  const bad = (at: Node | undefined, message: string) => {
    reporter.error('invalid-alert', message, at, { field });
    return undefined;
  };
  if (!isMap(node) || node.items.length !== 1) {
    return bad(node, `An alert target must be one of { webhook: { url_env: NAME } }, { webhook: { url_file: PATH } }, { command: [program, args...] }, { notification: true }.`);
  }
  const [{ key, pair }] = pairsOf(node);
  const value = pair.value;
  switch (key) {
    case 'webhook': {
      const source = isMap(value) ? pairsOf(value) : [];
      const [first] = source;
      const text = first && isScalar(first.pair.value) && typeof first.pair.value.value === 'string' ? first.pair.value.value : '';
      if (source.length !== 1 || !text || (first.key !== 'url_env' && first.key !== 'url_file')) {
        return bad(value ?? (pair.key as Node), 'A webhook takes its URL from { url_env: ENV_VARIABLE } or { url_file: PATH } (a file outside the pipeline file), nothing else.');
      }
      if (first.key === 'url_env') {
        if (!ENV_NAME.test(text)) return bad(first.pair.value as Node, `"${text}" is not an environment variable name.`);
        return { webhook: { url_env: text } };
      }
      return { webhook: { url_file: text } };
    }
    case 'command': {
      const args = isSeq(value) && value.items.length && value.items.every((i) => isScalar(i) && (typeof i.value === 'string' || typeof i.value === 'number'))
        ? value.items.map((i) => String((i as { value: unknown }).value))
        : undefined;
      if (!args || !args[0]) return bad(value ?? (pair.key as Node), 'A command target is a list: [program, arg, ...] (no shell); the alert JSON comes on stdin and in TRIBUTARY_ALERT.');
      return { command: args };
    }
    case 'notification':
      if (isScalar(value) && value.value === true) return { notification: true };
      return bad(value ?? (pair.key as Node), 'notification takes true (a VS Code notification when the run is inside the editor).');
    default:
      return bad(pair.key as Node, `Unknown alert target "${key}"; expected one of ${ALERT_TARGET_KEYS.join(', ')}.${didYouMean(key, ALERT_TARGET_KEYS)}`);
  }
}
