/**
 * The networks aggregate (`network.<id>`): the exchange networks with their legal basis and
 * roles. Seeds create them (see ../seeds/seed-import.ts); no command changes or removes one.
 */
import { fieldRefusal } from '../domain/errors.js';
import type { NetworkRecord } from '../domain/model.js';
import type { RegistryView } from '../registry-view.js';
import { stateKeys } from '../registry-view.js';

export class Networks {
  constructor(private readonly view: RegistryView) {}

  list(): readonly NetworkRecord[] {
    return this.view.state().networks;
  }

  get(id: string): NetworkRecord {
    const network = this.view.value<NetworkRecord>(stateKeys.network(id));
    if (network === undefined) throw fieldRefusal('ERR_UNKNOWN_NETWORK', 'id', `unknown network ${id}`);
    return network;
  }
}
