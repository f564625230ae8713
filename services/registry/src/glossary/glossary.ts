/**
 * The glossary aggregate (`glossary.<id>`): the process's terms in en/es/fr/pt. Seeds create
 * them (see ../seeds/seed-import.ts); no command changes or removes one.
 */
import type { GlossaryTerm } from '../domain/model.js';
import type { RegistryView } from '../registry-view.js';

export class Glossary {
  constructor(private readonly view: RegistryView) {}

  terms(): readonly GlossaryTerm[] {
    return this.view.state().glossary;
  }
}
