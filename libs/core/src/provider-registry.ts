import type { ProviderId } from './models.js';
import type { ProviderDefinition } from './provider.js';

/** The provider definitions the gateway knows, by provider id. */
export class ProviderRegistry {
  private readonly definitions = new Map<ProviderId, ProviderDefinition>();

  constructor(definitions: ProviderDefinition[] = []) {
    for (const definition of definitions) this.register(definition);
  }

  register(definition: ProviderDefinition): void {
    if (this.definitions.has(definition.id)) throw new Error(`provider '${definition.id}' is registered twice`);
    this.definitions.set(definition.id, definition);
  }

  get(id: string): ProviderDefinition | undefined {
    return this.definitions.get(id as ProviderId);
  }

  ids(): ProviderId[] {
    return [...this.definitions.keys()];
  }

  all(): ProviderDefinition[] {
    return [...this.definitions.values()];
  }
}
