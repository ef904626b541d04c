// Without raw sockets the explanation is above the form (ProbeStatus): the
// error by a refused call's button just points at it. Shared by the probe
// forms and the crafter's send panel.
import { useI18n } from 'vue-i18n';
import { ACTION } from '../../lib/use-call.js';
import { useProbes } from '../../stores/probes.js';

interface FormCall {
  errors: Record<string, string>;
  setError: (field: string, message: string) => void;
}

/** Wraps a form's call: when it fails while raw sockets are blocked, its error says "see above". */
export function useRefusedAsBlocked(call: FormCall) {
  const { t } = useI18n();
  const probes = useProbes();
  return async <T>(p: Promise<T | undefined>): Promise<T | undefined> => {
    const r = await p;
    if (!r && call.errors[ACTION] && probes.blocked) call.setError(ACTION, t('probeStatus.refused'));
    return r;
  };
}
