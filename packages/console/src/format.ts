/**
 * Words for the codes the alerts carry, in the console's four languages: handling codes, Admiralty
 * grading, the schema's enums (crossings, transport, documents, fraud, network roles and links),
 * and dates in the reader's locale. Handling titles and document, fraud and role words follow the
 * registry's glossary (seeds/registry/glossary.yaml), so every console says what the glossary says.
 */

export type WordLanguage = 'en' | 'es' | 'fr' | 'pt';

const languageOf = (language: string | undefined): WordLanguage =>
  language === 'es' || language === 'fr' || language === 'pt' ? language : 'en';

export interface HandlingWords {
  readonly title: string;
  readonly may: string;
}

const HANDLING: Readonly<Record<WordLanguage, Readonly<Record<string, HandlingWords>>>> = {
  en: {
    H0: { title: 'H0 — purpose-limited use', may: 'Use only for the purpose it was shared for.' },
    H1: {
      title: 'H1 — not for judicial proceedings without consent',
      may: "You may use it for intelligence; not as evidence in judicial proceedings without the originator's consent.",
    },
    H2: {
      title: 'H2 — no onward dissemination without consent',
      may: "You may read and act on it here; do not pass it on to anyone else without the originator's consent.",
    },
    H3: {
      title: 'H3 — other restrictions',
      may: 'Read the restrictions stated in the alert before any use.',
    },
  },
  es: {
    H0: {
      title: 'H0 — uso limitado a la finalidad',
      may: 'Úsela solo para la finalidad con la que se compartió.',
    },
    H1: {
      title: 'H1 — uso judicial solo con consentimiento',
      may: 'Puede usarla como inteligencia; no como prueba en procesos judiciales sin el consentimiento del país de origen.',
    },
    H2: {
      title: 'H2 — sin difusión ulterior sin consentimiento',
      may: 'Puede leerla y actuar aquí; no la transmita a nadie más sin el consentimiento del país de origen.',
    },
    H3: {
      title: 'H3 — otras restricciones',
      may: 'Lea las restricciones indicadas en la alerta antes de cualquier uso.',
    },
  },
  fr: {
    H0: {
      title: 'H0 — usage limité à la finalité',
      may: 'À n’utiliser que pour la finalité de sa communication.',
    },
    H1: {
      title: 'H1 — pas d’usage judiciaire sans consentement',
      may: 'Vous pouvez l’exploiter comme renseignement ; pas comme preuve en justice sans le consentement du pays d’origine.',
    },
    H2: {
      title: 'H2 — pas de diffusion ultérieure sans consentement',
      may: 'Vous pouvez la lire et agir ici ; ne la transmettez à personne d’autre sans le consentement du pays d’origine.',
    },
    H3: {
      title: 'H3 — autres restrictions',
      may: 'Lisez les restrictions indiquées dans l’alerte avant tout usage.',
    },
  },
  pt: {
    H0: {
      title: 'H0 — uso limitado à finalidade',
      may: 'Use apenas para a finalidade com que foi partilhado.',
    },
    H1: {
      title: 'H1 — vedado o uso judicial sem consentimento',
      may: 'Pode usá-lo como inteligência; não como prova em processos judiciais sem o consentimento do país de origem.',
    },
    H2: {
      title: 'H2 — vedada a difusão posterior sem consentimento',
      may: 'Pode lê-lo e agir aqui; não o repasse a mais ninguém sem o consentimento do país de origem.',
    },
    H3: {
      title: 'H3 — outras restrições',
      may: 'Leia as restrições indicadas no alerta antes de qualquer uso.',
    },
  },
};

export const HANDLING_CODES = ['H0', 'H1', 'H2', 'H3'] as const;

/** What handling code `code` lets the reader do, in `language`. */
export function handlingWords(code: string, language?: string): HandlingWords | undefined {
  return HANDLING[languageOf(language)][code];
}

/** The English words (kept for callers that have no language). */
export const HANDLING_WORDS = HANDLING.en;

const RELIABILITY: Readonly<Record<WordLanguage, Readonly<Record<string, string>>>> = {
  en: {
    A: 'completely reliable',
    B: 'usually reliable',
    C: 'fairly reliable',
    D: 'not usually reliable',
    E: 'unreliable',
    F: 'reliability cannot be judged',
  },
  es: {
    A: 'completamente fiable',
    B: 'normalmente fiable',
    C: 'bastante fiable',
    D: 'normalmente no fiable',
    E: 'no fiable',
    F: 'fiabilidad no evaluable',
  },
  fr: {
    A: 'totalement fiable',
    B: 'habituellement fiable',
    C: 'assez fiable',
    D: 'habituellement peu fiable',
    E: 'non fiable',
    F: 'fiabilité impossible à évaluer',
  },
  pt: {
    A: 'totalmente confiável',
    B: 'normalmente confiável',
    C: 'razoavelmente confiável',
    D: 'normalmente não confiável',
    E: 'não confiável',
    F: 'confiabilidade não avaliável',
  },
};
const CREDIBILITY: Readonly<Record<WordLanguage, Readonly<Record<string, string>>>> = {
  en: {
    '1': 'confirmed by other sources',
    '2': 'probably true',
    '3': 'possibly true',
    '4': 'doubtful',
    '5': 'improbable',
    '6': 'truth cannot be judged',
  },
  es: {
    '1': 'confirmada por otras fuentes',
    '2': 'probablemente cierta',
    '3': 'posiblemente cierta',
    '4': 'dudosa',
    '5': 'improbable',
    '6': 'veracidad no evaluable',
  },
  fr: {
    '1': 'confirmée par d’autres sources',
    '2': 'probablement vraie',
    '3': 'peut-être vraie',
    '4': 'douteuse',
    '5': 'improbable',
    '6': 'véracité impossible à évaluer',
  },
  pt: {
    '1': 'confirmada por outras fontes',
    '2': 'provavelmente verdadeira',
    '3': 'possivelmente verdadeira',
    '4': 'duvidosa',
    '5': 'improvável',
    '6': 'veracidade não avaliável',
  },
};
const GRADING_PHRASE: Readonly<
  Record<WordLanguage, { readonly none: string; readonly source: string; readonly info: string }>
> = {
  en: { none: 'not graded', source: 'source', info: 'information' },
  es: { none: 'sin evaluar', source: 'fuente', info: 'información' },
  fr: { none: 'non coté', source: 'source', info: 'information' },
  pt: { none: 'não avaliado', source: 'fonte', info: 'informação' },
};

export const RELIABILITY_CODES = ['A', 'B', 'C', 'D', 'E', 'F'] as const;
export const CREDIBILITY_CODES = ['1', '2', '3', '4', '5', '6'] as const;

/** "completely reliable" for "A". */
export const reliabilityWord = (code: string, language?: string): string =>
  RELIABILITY[languageOf(language)][code] ?? code;
/** "confirmed by other sources" for "1". */
export const credibilityWord = (code: string, language?: string): string =>
  CREDIBILITY[languageOf(language)][code] ?? code;

/** "B2: source usually reliable, information probably true" from the proto3 JSON enum names. */
export function gradingInWords(
  grading: { sourceReliability?: string; informationCredibility?: string } | undefined,
  language?: string,
): string {
  const lang = languageOf(language);
  const phrase = GRADING_PHRASE[lang];
  if (grading === undefined) return phrase.none;
  const source = /_([A-F])$/.exec(grading.sourceReliability ?? '')?.[1];
  const info = /_([1-6])$/.exec(grading.informationCredibility ?? '')?.[1];
  if (source === undefined || info === undefined) return phrase.none;
  return `${source}${info}: ${phrase.source} ${RELIABILITY[lang][source]}, ${phrase.info} ${CREDIBILITY[lang][info]}`;
}

/** The schema's enum values in es, fr and pt (English is the value itself, in words). */
const ENUM_WORDS: Readonly<Record<Exclude<WordLanguage, 'en'>, Readonly<Record<string, string>>>> = {
  es: {
    CROSSING_TYPE_FORMAL: 'habilitado',
    CROSSING_TYPE_INFORMAL: 'no habilitado',
    CROSSING_TYPE_NONE: 'ninguno',
    TRANSPORT_MODE_ON_FOOT: 'a pie',
    TRANSPORT_MODE_BUS: 'autobús',
    TRANSPORT_MODE_CAR: 'automóvil',
    TRANSPORT_MODE_TRUCK: 'tractocamión',
    TRANSPORT_MODE_TRAIN: 'tren',
    TRANSPORT_MODE_BOAT: 'embarcación',
    TRANSPORT_MODE_RIVER_RAFT: 'balsa de cámaras de llanta',
    TRANSPORT_MODE_AIRCRAFT: 'avión',
    TRANSPORT_MODE_MOTORCYCLE: 'motocicleta',
    TRANSPORT_MODE_OTHER: 'otro medio',
    DOCUMENT_TYPE_PASSPORT: 'pasaporte',
    DOCUMENT_TYPE_VISA: 'visa',
    DOCUMENT_TYPE_NATIONAL_ID: 'documento de identidad',
    DOCUMENT_TYPE_RESIDENCE_PERMIT: 'permiso de residencia',
    DOCUMENT_TYPE_BIRTH_CERTIFICATE: 'acta de nacimiento',
    DOCUMENT_TYPE_TRAVEL_DOCUMENT: 'documento de viaje',
    DOCUMENT_TYPE_DRIVING_LICENCE: 'licencia de conducir',
    DOCUMENT_TYPE_BORDER_CROSSING_CARD: 'tarjeta de cruce fronterizo',
    DOCUMENT_TYPE_WORK_PERMIT: 'permiso de trabajo',
    DOCUMENT_TYPE_ENTRY_STAMP: 'sello de entrada o formulario migratorio',
    DOCUMENT_TYPE_SEAFARER_ID: 'documento de identidad de marino',
    DOCUMENT_TYPE_OTHER: 'otro documento',
    FRAUD_TYPE_COUNTERFEIT: 'falsificación total',
    FRAUD_TYPE_FORGED: 'personalización no autorizada',
    FRAUD_TYPE_ALTERED: 'alterado',
    FRAUD_TYPE_FRAUDULENTLY_OBTAINED: 'auténtico obtenido fraudulentamente',
    FRAUD_TYPE_IMPOSTOR: 'impostor',
    FRAUD_TYPE_STOLEN_BLANK: 'en blanco robado',
    DETECTION_POINT_AIRPORT: 'aeropuerto',
    DETECTION_POINT_LAND_BORDER: 'puesto fronterizo terrestre',
    DETECTION_POINT_SEAPORT: 'puerto marítimo',
    DETECTION_POINT_INLAND: 'control en el interior',
    DETECTION_POINT_CONSULATE: 'consulado',
    DETECTION_POINT_APPLICATION: 'solicitud de documento',
    DETECTION_POINT_OTHER: 'otro lugar',
    ENTITY_ROLE_ORGANISER: 'organizador',
    ENTITY_ROLE_RECRUITER: 'reclutador',
    ENTITY_ROLE_TRANSPORTER: 'transportista',
    ENTITY_ROLE_GUIDE: 'guía',
    ENTITY_ROLE_DOCUMENT_FORGER: 'falsificador de documentos',
    ENTITY_ROLE_FINANCIER: 'financista',
    ENTITY_ROLE_CORRUPT_OFFICIAL: 'funcionario corrupto',
    ENTITY_ROLE_SAFE_HOUSE_KEEPER: 'encargado de casa de seguridad',
    ENTITY_ROLE_LOOKOUT: 'halcón',
    ENTITY_ROLE_ENFORCER: 'sicario',
    ENTITY_ROLE_MONEY_MULE: 'mula financiera',
    ENTITY_ROLE_OTHER: 'otro papel',
    LINK_RELATION_DIRECTS: 'dirige a',
    LINK_RELATION_ASSOCIATE_OF: 'trabaja con',
    LINK_RELATION_PAYS: 'paga a',
    LINK_RELATION_SUPPLIES_DOCUMENTS_TO: 'suministra documentos a',
    LINK_RELATION_HANDS_OVER_TO: 'entrega migrantes a',
    LINK_RELATION_BRIBES: 'soborna a',
    LINK_RELATION_RECRUITS_FOR: 'recluta para',
    LINK_RELATION_TRANSFERS_MONEY_TO: 'envía dinero a',
    LINK_RELATION_COMMUNICATES_WITH: 'se comunica con',
    SECURITY_FEATURE_SUBSTRATE: 'papel o sustrato de seguridad',
    SECURITY_FEATURE_WATERMARK: 'marca de agua',
    SECURITY_FEATURE_SECURITY_THREAD: 'hilo de seguridad',
    SECURITY_FEATURE_GUILLOCHE: 'fondo de seguridad (guilloche)',
    SECURITY_FEATURE_INTAGLIO: 'impresión calcográfica',
    SECURITY_FEATURE_MICROPRINT: 'microimpresión',
    SECURITY_FEATURE_UV_FEATURES: 'elementos fluorescentes UV',
    SECURITY_FEATURE_HOLOGRAM: 'holograma',
    SECURITY_FEATURE_LAMINATE: 'laminado',
    SECURITY_FEATURE_PHOTO: 'fotografía',
    SECURITY_FEATURE_PERSONALISATION: 'personalización',
    SECURITY_FEATURE_MRZ: 'zona de lectura mecánica (MRZ)',
    SECURITY_FEATURE_CHIP: 'chip sin contacto',
    SECURITY_FEATURE_PERFORATION: 'perforación',
    SECURITY_FEATURE_BINDING: 'encuadernación',
    SECURITY_FEATURE_VISA_FOIL: 'etiqueta de visa',
    SECURITY_FEATURE_STAMP_OR_SEAL: 'sellos o firmas',
  },
  fr: {
    CROSSING_TYPE_FORMAL: 'autorisé',
    CROSSING_TYPE_INFORMAL: 'non autorisé',
    CROSSING_TYPE_NONE: 'aucun',
    TRANSPORT_MODE_ON_FOOT: 'à pied',
    TRANSPORT_MODE_BUS: 'autocar',
    TRANSPORT_MODE_CAR: 'voiture',
    TRANSPORT_MODE_TRUCK: 'poids lourd',
    TRANSPORT_MODE_TRAIN: 'train',
    TRANSPORT_MODE_BOAT: 'bateau',
    TRANSPORT_MODE_RIVER_RAFT: 'radeau de chambres à air',
    TRANSPORT_MODE_AIRCRAFT: 'avion',
    TRANSPORT_MODE_MOTORCYCLE: 'moto',
    TRANSPORT_MODE_OTHER: 'autre moyen',
    DOCUMENT_TYPE_PASSPORT: 'passeport',
    DOCUMENT_TYPE_VISA: 'visa',
    DOCUMENT_TYPE_NATIONAL_ID: 'carte nationale d’identité',
    DOCUMENT_TYPE_RESIDENCE_PERMIT: 'titre de séjour',
    DOCUMENT_TYPE_BIRTH_CERTIFICATE: 'acte de naissance',
    DOCUMENT_TYPE_TRAVEL_DOCUMENT: 'document de voyage',
    DOCUMENT_TYPE_DRIVING_LICENCE: 'permis de conduire',
    DOCUMENT_TYPE_BORDER_CROSSING_CARD: 'carte de passage frontalier',
    DOCUMENT_TYPE_WORK_PERMIT: 'permis de travail',
    DOCUMENT_TYPE_ENTRY_STAMP: 'cachet d’entrée ou fiche migratoire',
    DOCUMENT_TYPE_SEAFARER_ID: 'pièce d’identité des gens de mer',
    DOCUMENT_TYPE_OTHER: 'autre document',
    FRAUD_TYPE_COUNTERFEIT: 'contrefait',
    FRAUD_TYPE_FORGED: 'falsifié (personnalisation non autorisée)',
    FRAUD_TYPE_ALTERED: 'altéré',
    FRAUD_TYPE_FRAUDULENTLY_OBTAINED: 'authentique obtenu frauduleusement',
    FRAUD_TYPE_IMPOSTOR: 'imposteur',
    FRAUD_TYPE_STOLEN_BLANK: 'vierge volé',
    DETECTION_POINT_AIRPORT: 'aéroport',
    DETECTION_POINT_LAND_BORDER: 'poste frontière terrestre',
    DETECTION_POINT_SEAPORT: 'port maritime',
    DETECTION_POINT_INLAND: 'contrôle à l’intérieur',
    DETECTION_POINT_CONSULATE: 'consulat',
    DETECTION_POINT_APPLICATION: 'demande de document',
    DETECTION_POINT_OTHER: 'autre lieu',
    ENTITY_ROLE_ORGANISER: 'organisateur',
    ENTITY_ROLE_RECRUITER: 'recruteur',
    ENTITY_ROLE_TRANSPORTER: 'transporteur',
    ENTITY_ROLE_GUIDE: 'guide',
    ENTITY_ROLE_DOCUMENT_FORGER: 'faussaire',
    ENTITY_ROLE_FINANCIER: 'financier',
    ENTITY_ROLE_CORRUPT_OFFICIAL: 'agent public corrompu',
    ENTITY_ROLE_SAFE_HOUSE_KEEPER: 'gardien de planque',
    ENTITY_ROLE_LOOKOUT: 'guetteur',
    ENTITY_ROLE_ENFORCER: 'homme de main',
    ENTITY_ROLE_MONEY_MULE: 'mule financière',
    ENTITY_ROLE_OTHER: 'autre rôle',
    LINK_RELATION_DIRECTS: 'dirige',
    LINK_RELATION_ASSOCIATE_OF: 'travaille avec',
    LINK_RELATION_PAYS: 'paie',
    LINK_RELATION_SUPPLIES_DOCUMENTS_TO: 'fournit des documents à',
    LINK_RELATION_HANDS_OVER_TO: 'remet des migrants à',
    LINK_RELATION_BRIBES: 'corrompt',
    LINK_RELATION_RECRUITS_FOR: 'recrute pour',
    LINK_RELATION_TRANSFERS_MONEY_TO: 'envoie de l’argent à',
    LINK_RELATION_COMMUNICATES_WITH: 'communique avec',
    SECURITY_FEATURE_SUBSTRATE: 'papier ou support de sécurité',
    SECURITY_FEATURE_WATERMARK: 'filigrane',
    SECURITY_FEATURE_SECURITY_THREAD: 'fil de sécurité',
    SECURITY_FEATURE_GUILLOCHE: 'guillochis',
    SECURITY_FEATURE_INTAGLIO: 'impression en taille-douce',
    SECURITY_FEATURE_MICROPRINT: 'microimpression',
    SECURITY_FEATURE_UV_FEATURES: 'éléments fluorescents UV',
    SECURITY_FEATURE_HOLOGRAM: 'hologramme',
    SECURITY_FEATURE_LAMINATE: 'laminat',
    SECURITY_FEATURE_PHOTO: 'photographie',
    SECURITY_FEATURE_PERSONALISATION: 'personnalisation',
    SECURITY_FEATURE_MRZ: 'zone de lecture automatique (ZLA)',
    SECURITY_FEATURE_CHIP: 'puce sans contact',
    SECURITY_FEATURE_PERFORATION: 'perforation',
    SECURITY_FEATURE_BINDING: 'reliure',
    SECURITY_FEATURE_VISA_FOIL: 'vignette visa',
    SECURITY_FEATURE_STAMP_OR_SEAL: 'cachets ou signatures',
  },
  pt: {
    CROSSING_TYPE_FORMAL: 'autorizado',
    CROSSING_TYPE_INFORMAL: 'não autorizado',
    CROSSING_TYPE_NONE: 'nenhum',
    TRANSPORT_MODE_ON_FOOT: 'a pé',
    TRANSPORT_MODE_BUS: 'ônibus',
    TRANSPORT_MODE_CAR: 'carro',
    TRANSPORT_MODE_TRUCK: 'caminhão',
    TRANSPORT_MODE_TRAIN: 'trem',
    TRANSPORT_MODE_BOAT: 'embarcação',
    TRANSPORT_MODE_RIVER_RAFT: 'balsa de câmaras de ar',
    TRANSPORT_MODE_AIRCRAFT: 'avião',
    TRANSPORT_MODE_MOTORCYCLE: 'motocicleta',
    TRANSPORT_MODE_OTHER: 'outro meio',
    DOCUMENT_TYPE_PASSPORT: 'passaporte',
    DOCUMENT_TYPE_VISA: 'visto',
    DOCUMENT_TYPE_NATIONAL_ID: 'documento de identidade nacional',
    DOCUMENT_TYPE_RESIDENCE_PERMIT: 'autorização de residência',
    DOCUMENT_TYPE_BIRTH_CERTIFICATE: 'certidão de nascimento',
    DOCUMENT_TYPE_TRAVEL_DOCUMENT: 'documento de viagem',
    DOCUMENT_TYPE_DRIVING_LICENCE: 'carteira de motorista',
    DOCUMENT_TYPE_BORDER_CROSSING_CARD: 'cartão de travessia de fronteira',
    DOCUMENT_TYPE_WORK_PERMIT: 'autorização de trabalho',
    DOCUMENT_TYPE_ENTRY_STAMP: 'carimbo de entrada ou formulário migratório',
    DOCUMENT_TYPE_SEAFARER_ID: 'documento de identidade de marítimo',
    DOCUMENT_TYPE_OTHER: 'outro documento',
    FRAUD_TYPE_COUNTERFEIT: 'contrafeito',
    FRAUD_TYPE_FORGED: 'falsificado (personalização não autorizada)',
    FRAUD_TYPE_ALTERED: 'adulterado',
    FRAUD_TYPE_FRAUDULENTLY_OBTAINED: 'autêntico obtido fraudulentamente',
    FRAUD_TYPE_IMPOSTOR: 'impostor',
    FRAUD_TYPE_STOLEN_BLANK: 'em branco furtado',
    DETECTION_POINT_AIRPORT: 'aeroporto',
    DETECTION_POINT_LAND_BORDER: 'posto de fronteira terrestre',
    DETECTION_POINT_SEAPORT: 'porto marítimo',
    DETECTION_POINT_INLAND: 'controle no interior',
    DETECTION_POINT_CONSULATE: 'consulado',
    DETECTION_POINT_APPLICATION: 'pedido de documento',
    DETECTION_POINT_OTHER: 'outro local',
    ENTITY_ROLE_ORGANISER: 'organizador',
    ENTITY_ROLE_RECRUITER: 'aliciador',
    ENTITY_ROLE_TRANSPORTER: 'transportador',
    ENTITY_ROLE_GUIDE: 'guia',
    ENTITY_ROLE_DOCUMENT_FORGER: 'falsificador de documentos',
    ENTITY_ROLE_FINANCIER: 'financiador',
    ENTITY_ROLE_CORRUPT_OFFICIAL: 'agente público corrupto',
    ENTITY_ROLE_SAFE_HOUSE_KEEPER: 'guardião de esconderijo',
    ENTITY_ROLE_LOOKOUT: 'olheiro',
    ENTITY_ROLE_ENFORCER: 'executor',
    ENTITY_ROLE_MONEY_MULE: 'mula financeira',
    ENTITY_ROLE_OTHER: 'outro papel',
    LINK_RELATION_DIRECTS: 'dirige',
    LINK_RELATION_ASSOCIATE_OF: 'trabalha com',
    LINK_RELATION_PAYS: 'paga a',
    LINK_RELATION_SUPPLIES_DOCUMENTS_TO: 'fornece documentos a',
    LINK_RELATION_HANDS_OVER_TO: 'entrega migrantes a',
    LINK_RELATION_BRIBES: 'suborna',
    LINK_RELATION_RECRUITS_FOR: 'recruta para',
    LINK_RELATION_TRANSFERS_MONEY_TO: 'envia dinheiro a',
    LINK_RELATION_COMMUNICATES_WITH: 'comunica-se com',
    SECURITY_FEATURE_SUBSTRATE: 'papel ou substrato de segurança',
    SECURITY_FEATURE_WATERMARK: 'marca-d’água',
    SECURITY_FEATURE_SECURITY_THREAD: 'fio de segurança',
    SECURITY_FEATURE_GUILLOCHE: 'fundo de segurança (guilhochê)',
    SECURITY_FEATURE_INTAGLIO: 'impressão calcográfica',
    SECURITY_FEATURE_MICROPRINT: 'microimpressão',
    SECURITY_FEATURE_UV_FEATURES: 'elementos fluorescentes UV',
    SECURITY_FEATURE_HOLOGRAM: 'holograma',
    SECURITY_FEATURE_LAMINATE: 'laminado',
    SECURITY_FEATURE_PHOTO: 'fotografia',
    SECURITY_FEATURE_PERSONALISATION: 'personalização',
    SECURITY_FEATURE_MRZ: 'zona de leitura mecânica (MRZ)',
    SECURITY_FEATURE_CHIP: 'chip sem contato',
    SECURITY_FEATURE_PERFORATION: 'perfuração',
    SECURITY_FEATURE_BINDING: 'encadernação',
    SECURITY_FEATURE_VISA_FOIL: 'etiqueta de visto',
    SECURITY_FEATURE_STAMP_OR_SEAL: 'carimbos ou assinaturas',
  },
};

/** The values of each enum the forms offer, in schema order. */
export const ENUM_VALUES = {
  crossing: ['CROSSING_TYPE_NONE', 'CROSSING_TYPE_FORMAL', 'CROSSING_TYPE_INFORMAL'],
  documentType: Object.keys(ENUM_WORDS.es).filter((k) => k.startsWith('DOCUMENT_TYPE_')),
  fraudType: Object.keys(ENUM_WORDS.es).filter((k) => k.startsWith('FRAUD_TYPE_')),
  detectionPoint: Object.keys(ENUM_WORDS.es).filter((k) => k.startsWith('DETECTION_POINT_')),
  entityRole: Object.keys(ENUM_WORDS.es).filter((k) => k.startsWith('ENTITY_ROLE_')),
  linkRelation: Object.keys(ENUM_WORDS.es).filter((k) => k.startsWith('LINK_RELATION_')),
  securityFeature: Object.keys(ENUM_WORDS.es).filter((k) => k.startsWith('SECURITY_FEATURE_')),
} as const;

/** The es, fr or pt words for an enum value, undefined when that language has none (English: always). */
export function translatedEnum(value: string, language: string): string | undefined {
  const lang = languageOf(language);
  return lang === 'en' ? value : ENUM_WORDS[lang][value];
}

/** "CROSSING_TYPE_INFORMAL" → "informal" (en), "no habilitado" (es). */
export function enumWord(value: string | undefined, prefix: string, language?: string): string {
  if (value === undefined) return '';
  const lang = languageOf(language);
  if (lang !== 'en') {
    const word = ENUM_WORDS[lang][value];
    if (word !== undefined) return word;
  }
  return value
    .replace(new RegExp(`^${prefix}_`), '')
    .toLowerCase()
    .replaceAll('_', ' ');
}

export function formatInstant(text: string | undefined, locale = 'en'): string {
  if (text === undefined) return '';
  const date = new Date(text);
  if (Number.isNaN(date.getTime())) return text;
  return (
    new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' }).format(
      date,
    ) + ' UTC'
  );
}

/** A count in the reader's locale ("10,000", "10.000", "10 000"). */
export const formatNumber = (value: number, locale = 'en'): string =>
  new Intl.NumberFormat(locale).format(value);
