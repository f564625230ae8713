/**
 * The networks and rules that follow from the decisions of the process, as data: what the
 * registry seeds a new deployment with. Each network and rule cites the decisions it rests on;
 * which countries hold which roles is the registry's data (memberships), never written here.
 *
 * In short: on every network, members holding the publisher role publish the kinds it carries,
 * and members holding the publisher or subscriber role receive them. Countries holding the
 * observer-reader role (observers at the conferences included) receive and never publish.
 */
import type { LegalBasis, Network, PolicyRule } from './model.js';

/** The decisions the default networks and rules cite. */
export const CONFERENCE_DECISIONS = Object.freeze({
  /** The two liaison networks of the Regional Conference on Migration. */
  liaisonNetworks: {
    conference: 'VI RCM (San José, 2001)',
    decision: 'agreements 7, 11 and 16',
    text:
      'Creates the Liaison Officer Network for the ongoing exchange of information to combat trafficking in ' +
      'migrants (the entry of migrants who were victims of smuggling or trafficking, the documents used and the ' +
      'routes taken) and the Liaison Network of Consular Protection Officers.',
  },
  /** Migration of minors: the consular protection network is widened. */
  minors: {
    conference: 'XVII RCM (Panama, 2012)',
    decision: 'decision 6',
    text: 'Government migration experts join the consular protection network to address the migration of minors.',
  },
  /** Exchange through focal points. */
  focalPoints: {
    conference: 'Declaration of Ministers and High-Level Officials (2010)',
    decision: 'initiative 10',
    text: 'Information is exchanged through focal points designated by each country.',
  },
  /** What may be exchanged. */
  informationExchange: {
    conference: 'Declaration of Ministers and High-Level Officials (2010)',
    decision: 'initiatives 12 and 13',
    text: 'Strategic, tactical and operational information is exchanged, consistently with national laws.',
  },
  /** Financial intelligence. */
  financialIntelligence: {
    conference: 'Declaration of Ministers and High-Level Officials (2010)',
    decision: 'initiative 14',
    text: 'Financial Intelligence Units exchange information among themselves.',
  },
  /** Following traffickers across borders. */
  traffickersMovement: {
    conference: 'First Meeting of National Authorities on Trafficking in Persons (OAS, 2006)',
    decision: 'conclusions and recommendations',
    text:
      "Expeditious exchange of information to follow traffickers' movement between countries of origin, " +
      'transit and destination, with maps of routes and directories of points of contact.',
  },
  /** Victims are protected, never identified. */
  victimCentred: {
    conference: 'XII RCM (2007)',
    decision: 'victim-centred approach',
    text:
      'Cooperation puts victims first: no alert may identify a victim, who appear only as counts, age bands ' +
      'and vulnerability flags.',
  },
} satisfies Record<string, LegalBasis>);

const D = CONFERENCE_DECISIONS;

/** The three networks of the process, labelled in en, es, fr and pt. */
export function createDefaultNetworks(): Network[] {
  return [
    {
      id: 'trafficking-liaison',
      names: {
        en: 'Liaison Officer Network to Combat Migrant Smuggling and Trafficking in Persons',
        es: 'Red de Funcionarios de Enlace para el Combate al Tráfico Ilícito de Migrantes y la Trata de Personas',
        fr: 'Réseau des agents de liaison pour la lutte contre le trafic illicite de migrants et la traite des personnes',
        pt: 'Rede de Oficiais de Ligação para o Combate ao Contrabando de Migrantes e ao Tráfico de Pessoas',
      },
      mandate: {
        en: 'Ongoing exchange of information to combat migrant smuggling and trafficking in persons: the routes taken, the documents used and the criminal networks behind them.',
        es: 'Intercambio permanente de información para combatir el tráfico ilícito de migrantes y la trata de personas: las rutas utilizadas, los documentos empleados y las redes criminales que los organizan.',
        fr: 'Échange permanent d’informations pour lutter contre le trafic illicite de migrants et la traite des personnes : les itinéraires empruntés, les documents utilisés et les réseaux criminels qui les organisent.',
        pt: 'Intercâmbio permanente de informações para combater o contrabando de migrantes e o tráfico de pessoas: as rotas percorridas, os documentos utilizados e as redes criminosas que os organizam.',
      },
      basis: [
        D.liaisonNetworks,
        D.focalPoints,
        D.informationExchange,
        D.traffickersMovement,
        D.victimCentred,
      ],
      kinds: ['route', 'document', 'network'],
      roles: ['publisher', 'subscriber', 'observer-reader'],
    },
    {
      id: 'consular-protection',
      names: {
        en: 'Liaison Network of Consular Protection Officers',
        es: 'Red de Funcionarios de Enlace de Protección Consular',
        fr: 'Réseau des agents de liaison de protection consulaire',
        pt: 'Rede de Oficiais de Ligação de Proteção Consular',
      },
      mandate: {
        en: 'Exchange among consular protection officers and government migration experts about the routes and fraudulent documents that put migrants, and minors in particular, at risk.',
        es: 'Intercambio entre funcionarios de protección consular y expertos gubernamentales en migración sobre las rutas y los documentos fraudulentos que ponen en riesgo a las personas migrantes, en particular a las personas menores de edad.',
        fr: 'Échange entre agents de protection consulaire et experts gouvernementaux des migrations sur les itinéraires et les documents frauduleux qui mettent en danger les migrants, en particulier les mineurs.',
        pt: 'Intercâmbio entre oficiais de proteção consular e especialistas governamentais em migração sobre as rotas e os documentos fraudulentos que põem em risco os migrantes, em particular os menores de idade.',
      },
      basis: [D.liaisonNetworks, D.minors, D.victimCentred],
      kinds: ['route', 'document'],
      roles: ['publisher', 'subscriber', 'observer-reader'],
    },
    {
      id: 'fiu-exchange',
      names: {
        en: 'Financial Intelligence Unit Exchange',
        es: 'Intercambio entre Unidades de Inteligencia Financiera',
        fr: 'Échange entre cellules de renseignement financier',
        pt: 'Intercâmbio entre Unidades de Inteligência Financeira',
      },
      mandate: {
        en: 'Exchange among Financial Intelligence Units of the financial indicators of smuggling and trafficking networks: accounts, remittance corridors and payment channels, matched without revealing them.',
        es: 'Intercambio entre Unidades de Inteligencia Financiera de los indicadores financieros de las redes de tráfico ilícito y trata: cuentas, corredores de remesas y canales de pago, cotejados sin revelarlos.',
        fr: 'Échange entre cellules de renseignement financier des indicateurs financiers des réseaux de trafic illicite et de traite : comptes, corridors de transferts de fonds et canaux de paiement, rapprochés sans être révélés.',
        pt: 'Intercâmbio entre Unidades de Inteligência Financeira dos indicadores financeiros das redes de contrabando e de tráfico: contas, corredores de remessas e canais de pagamento, cotejados sem os revelar.',
      },
      basis: [D.financialIntelligence, D.informationExchange, D.focalPoints],
      kinds: ['network'],
      roles: ['publisher', 'subscriber', 'observer-reader'],
    },
  ];
}

/**
 * The rules for the default networks. Publishing needs member status and the publisher role;
 * receiving needs member status and the publisher or subscriber role, or the observer-reader
 * role (members and observers). Suspended and withdrawn countries are never selected, and the
 * evaluator refuses them in any case.
 */
export function createDefaultRules(): PolicyRule[] {
  const liaison = [D.liaisonNetworks, D.focalPoints, D.informationExchange, D.traffickersMovement];
  const consular = [D.liaisonNetworks, D.minors];
  const fiu = [D.financialIntelligence, D.informationExchange];
  return [
    {
      id: 'trafficking-liaison.publish',
      description: 'Liaison officers of member countries publish routes, documents and criminal networks.',
      effect: 'allow',
      action: 'publish',
      networks: ['trafficking-liaison'],
      kinds: ['route', 'document', 'network'],
      roles: ['publisher'],
      statuses: ['member'],
      basis: liaison,
    },
    {
      id: 'trafficking-liaison.receive',
      description: 'Liaison officers of member countries receive routes, documents and criminal networks.',
      effect: 'allow',
      action: 'receive',
      networks: ['trafficking-liaison'],
      kinds: ['route', 'document', 'network'],
      roles: ['publisher', 'subscriber'],
      statuses: ['member'],
      basis: liaison,
    },
    {
      id: 'consular-protection.publish',
      description:
        'Consular protection officers and migration experts of member countries publish routes and documents (minors).',
      effect: 'allow',
      action: 'publish',
      networks: ['consular-protection'],
      kinds: ['route', 'document'],
      roles: ['publisher'],
      statuses: ['member'],
      basis: consular,
    },
    {
      id: 'consular-protection.receive',
      description:
        'Consular protection officers and migration experts of member countries receive routes and documents.',
      effect: 'allow',
      action: 'receive',
      networks: ['consular-protection'],
      kinds: ['route', 'document'],
      roles: ['publisher', 'subscriber'],
      statuses: ['member'],
      basis: consular,
    },
    {
      id: 'fiu-exchange.publish',
      description:
        'Financial Intelligence Units of member countries publish criminal networks (financial indicators).',
      effect: 'allow',
      action: 'publish',
      networks: ['fiu-exchange'],
      kinds: ['network'],
      roles: ['publisher'],
      statuses: ['member'],
      basis: fiu,
    },
    {
      id: 'fiu-exchange.receive',
      description:
        'Financial Intelligence Units of member countries receive criminal networks (financial indicators).',
      effect: 'allow',
      action: 'receive',
      networks: ['fiu-exchange'],
      kinds: ['network'],
      roles: ['publisher', 'subscriber'],
      statuses: ['member'],
      basis: fiu,
    },
    {
      id: 'observer-reader.receive',
      description:
        'Countries holding an observer-reader membership (observers at the conferences included) receive on that network; no publish rule selects them.',
      effect: 'allow',
      action: 'receive',
      roles: ['observer-reader'],
      statuses: ['member', 'observer'],
      basis: [D.focalPoints],
    },
  ];
}
