/**
 * Which records a change touched, without comparing the whole run before and after: the change
 * sees the run's arrays through proxies that note every record written to, appended, or whose
 * nested object (properties, params) was taken (it may be modified in place). Only those records
 * go into the journal line, so a change costs what it touches even in a run of thousands of nodes.
 */
import type { StoreData } from '../../core/metadata-types.ts';

type Kind = 'artifacts' | 'executions' | 'contexts' | 'events' | 'associations' | 'attributions';
const KINDS: Kind[] = ['artifacts', 'executions', 'contexts', 'events', 'associations', 'attributions'];

const raw = new WeakMap<object, object>();
const unwrap = <T>(v: T): T => (v && typeof v === 'object' ? ((raw.get(v) as T) ?? v) : v);

export interface Tracked {
  view: StoreData;
  /** Records touched, by kind, and the arrays' lengths before the change (what is new). */
  touched: Map<Kind, Set<object>>;
  lengths: Record<Kind, number>;
  /** Stop noting: records seen after the change are read only for the result. */
  end(): void;
}

export function track(data: StoreData): Tracked {
  const touched = new Map<Kind, Set<object>>(KINDS.map((k) => [k, new Set()]));
  let active = true;
  const proxies = new WeakMap<object, object>();
  const record = (kind: Kind, target: object): object => {
    let p = proxies.get(target);
    if (!p) {
      const note = () => active && touched.get(kind)!.add(target);
      p = new Proxy(target, {
        get(t, prop, receiver) {
          const v = Reflect.get(t, prop, receiver);
          if (v && typeof v === 'object') note();
          return v;
        },
        set(t, prop, value) {
          note();
          return Reflect.set(t, prop, unwrap(value));
        },
        deleteProperty(t, prop) {
          note();
          return Reflect.deleteProperty(t, prop);
        },
      });
      proxies.set(target, p);
      raw.set(p, target);
    }
    return p;
  };
  const isIndex = (prop: string | symbol) => typeof prop === 'string' && /^[0-9]+$/.test(prop);
  const array = (kind: Kind, list: object[]) =>
    new Proxy(list, {
      get(t, prop, receiver) {
        if (isIndex(prop)) {
          const v = t[Number(prop)];
          return v && typeof v === 'object' ? record(kind, v) : v;
        }
        return Reflect.get(t, prop, receiver);
      },
      set(t, prop, value) {
        if (isIndex(prop)) {
          const v = unwrap(value) as object;
          t[Number(prop)] = v;
          if (active) touched.get(kind)!.add(v);
          return true;
        }
        return Reflect.set(t, prop, value);
      },
    });
  const lengths = Object.fromEntries(KINDS.map((k) => [k, data[k].length])) as Record<Kind, number>;
  const view = {
    schemaVersion: data.schemaVersion,
    nextId: data.nextId,
    ...Object.fromEntries(KINDS.map((k) => [k, array(k, data[k] as object[])])),
  } as StoreData;
  return { view, touched, lengths, end: () => (active = false) };
}
