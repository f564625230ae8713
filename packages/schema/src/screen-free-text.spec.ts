import { describe, expect, it } from 'vitest';

import type { FreeTextFindingKind } from './screen-free-text.js';
import { describeFreeTextFinding, screenFreeText } from './screen-free-text.js';

/** [language, text, kinds found (in order), what is found, as a substring of the text]. */
type Positive = readonly [string, string, FreeTextFindingKind, string];

const POSITIVES: readonly Positive[] = [
  // names next to ages
  ['es', 'Se identificó a María, 14 años, en el albergue.', 'name_with_age', 'María, 14 años'],
  ['es', 'La menor Ana López, de 16 años, viajaba sola.', 'name_with_age', 'Ana López, de 16 años'],
  ['es', 'Entre ellos Carlos (15 años) y su primo.', 'name_with_age', 'Carlos (15 años)'],
  [
    'es',
    'Viajaba con Wilmer, de catorce años, desde Huehuetenango.',
    'name_with_age',
    'Wilmer, de catorce años',
  ],
  ['es', 'MARÍA, 14 AÑOS, FUE RESCATADA EN TAPACHULA.', 'name_with_age', 'MARÍA, 14 AÑOS'],
  ['es', 'una adolescente de 15 años, Yesenia, fue retenida', 'name_with_age', '15 años, Yesenia'],
  ['es', 'Se trata de José (12).', 'name_with_age', 'José (12)'],
  ['en', 'A boy named John, aged 12, was found at the border.', 'name_with_age', 'John, aged 12'],
  ['en', 'Kevin, 12 years old, travelled with the group.', 'name_with_age', 'Kevin, 12 years old'],
  ['en', 'The 14-year-old Maria was held in a safe house.', 'name_with_age', '14-year-old Maria'],
  ['en', 'Witness: Brayan Lopez, aged 17.', 'name_with_age', 'Brayan Lopez, aged 17'],
  ['fr', 'Marie, 15 ans, a été retrouvée à la frontière.', 'name_with_age', 'Marie, 15 ans'],
  [
    'fr',
    'Un garçon, Jean-Baptiste, âgé de 13 ans, voyageait seul.',
    'name_with_age',
    'Baptiste, âgé de 13 ans',
  ],
  ['pt', 'João, de 13 anos, foi encontrado sozinho.', 'name_with_age', 'João, de 13 anos'],
  ['pt', 'A menina Larissa, com 11 anos, viajava sem os pais.', 'name_with_age', 'Larissa, com 11 anos'],
  // names introduced as names
  ['es', 'Una niña de nombre Guadalupe fue trasladada al albergue.', 'personal_name', 'Guadalupe'],
  ['es', 'La víctima se llama Rosa Hernández y es originaria de Olancho.', 'personal_name', 'Rosa Hernández'],
  ['en', 'Name: Daniel Ortiz', 'personal_name', 'Daniel Ortiz'],
  [
    'fr',
    'Une mineure prénommée Sophie a été identifiée comme Nadège Pierre.',
    'personal_name',
    'Nadège Pierre',
  ],
  ['pt', 'Uma vítima chamada Bruna foi resgatada.', 'personal_name', 'Bruna'],
  ['en', 'Passport holder: Mr. John Smith, 34.', 'personal_name', 'John Smith'],
  ['es', 'Joven de nombre José Luis, 16 años.', 'name_with_age', 'José Luis, 16 años'],
  ['es', 'migrante hondureña de 17 años llamada Dayana', 'personal_name', 'Dayana'],
  ['es', 'La menor vive en la 3a calle 4-56 zona 1 de Mixco.', 'street_address', 'calle 4-56'],
  // dates of birth
  ['es', 'Menor nacida el 12/05/2010 en San Pedro Sula.', 'date_of_birth', '12/05/2010'],
  ['es', 'Fecha de nacimiento: 3 de marzo de 2009.', 'date_of_birth', '3 de marzo de 2009'],
  ['en', 'DOB 2010-05-12, travelling alone.', 'date_of_birth', '2010-05-12'],
  ['en', 'The girl was born on 12 May 2011.', 'date_of_birth', '12 May 2011'],
  ['en', 'D.O.B. 05/12/2010', 'date_of_birth', '05/12/2010'],
  ['fr', 'Née le 14.07.2008 à Port-au-Prince.', 'date_of_birth', '14.07.2008'],
  ['pt', 'Data de nascimento: 21/04/2012.', 'date_of_birth', '21/04/2012'],
  ['es', 'un menor nacido en 2011 que viajaba solo', 'date_of_birth', '2011'],
  // document numbers
  ['es', 'Portaba el pasaporte G12345678 alterado.', 'document_number', 'G12345678'],
  ['es', 'DPI 2456 78901 0101 de la víctima.', 'document_number', '2456 78901 0101'],
  ['es', 'cédula 1-1234-0567 retenida por el guía', 'document_number', '1-1234-0567'],
  ['es', 'con CURP GODE561231HDFRRR09 falsa', 'document_number', 'GODE561231HDFRRR09'],
  ['en', 'passport number A01234567 was seized', 'document_number', 'A01234567'],
  ['en', 'Account 032180000118359719 received the transfers.', 'document_number', '032180000118359719'],
  ['fr', 'passeport n° 18AB12345 saisi', 'document_number', '18AB12345'],
  ['pt', 'CPF 123.456.789-09 do menor', 'document_number', '123.456.789-09'],
  ['en', 'MRZ P<GTMPEREZ<<JUAN<CARLOS<<<<<<<<', 'document_number', 'P<GTMPEREZ<<JUAN<CARLOS<<<<<<<<'],
  // phone numbers
  ['es', 'El reclutador contacta por WhatsApp al +502 5555 1234.', 'phone_number', '+502 5555 1234'],
  ['es', 'tel. 8888-8888', 'phone_number', '8888-8888'],
  ['en', 'Call (555) 123-4567 to arrange the crossing.', 'phone_number', '(555) 123-4567'],
  ['en', 'mobile 555.123.4567', 'phone_number', '555.123.4567'],
  ['fr', 'Téléphone : 06 12 34 56 78', 'phone_number', '06 12 34 56 78'],
  ['pt', 'celular +55 11 91234-5678', 'phone_number', '+55 11 91234-5678'],
  ['es', 'su familia llama al 55 1234 5678', 'phone_number', '55 1234 5678'],
  // e-mail addresses
  [
    'es',
    'Escribía a reclutadora.empleos@gmail.com con ofertas.',
    'email_address',
    'reclutadora.empleos@gmail.com',
  ],
  ['en', 'contact: j.doe+jobs@example.org', 'email_address', 'j.doe+jobs@example.org'],
  ['fr', 'adresse marie_dupont@mail.fr', 'email_address', 'marie_dupont@mail.fr'],
  // street addresses
  [
    'es',
    'La casa de la víctima está en Calle 5 de Mayo 123, colonia Centro.',
    'street_address',
    'Calle 5 de Mayo 123',
  ],
  ['es', 'vive en 4a. Avenida 12-34, zona 1', 'street_address', 'Avenida 12-34'],
  ['es', 'Av. Reforma 222 de la colonia Juárez', 'street_address', 'Av. Reforma 222'],
  ['en', 'She lived at 123 Main Street in Houston.', 'street_address', '123 Main Street'],
  ['en', 'taken to 4500 N 10th St, McAllen', 'street_address', '4500 N 10th St'],
  ['fr', 'hébergée au 12 rue de la Paix', 'street_address', '12 rue'],
  ['pt', 'morava na Rua das Flores, 123.', 'street_address', 'Rua das Flores, 123'],
];

/** Text officers write that identifies no one: it must pass. */
const NEGATIVES: readonly (readonly [string, string])[] = [
  ['es', 'Ruta Tecún Umán – Reynosa – McAllen en tractocamiones'],
  ['es', 'Pasaportes costarricenses falsificados, serie A03'],
  ['es', 'Números de la serie A03######, A04#####? y G12*.'],
  ['en', 'Passports of series AB12… with inert chips, numbers A03XXXXXX.'],
  ['es', 'Grupo de 12 migrantes, entre ellos 3 menores de 12 a 17 años.'],
  ['es', 'Menores de 14 años no acompañados: 5.'],
  ['es', 'Durante 10 años la red operó en Tapachula.'],
  ['es', 'Aeropuerto Internacional Juan Santamaría, 14 de octubre de 2026.'],
  ['es', 'Detectados el 14/10/2026 en el Puesto fronterizo Peñas Blancas.'],
  ['es', 'Actas de nacimiento falsificadas detectadas el 03/11/2026.'],
  ['en', 'Birth certificates issued 2019-2024 were altered.'],
  ['es', 'Cobro de USD 5000 a 8000 por migrante; remesas de 300-950 USD.'],
  ['es', 'Montos de GTQ 25.000.000 en efectivo.'],
  ['fr', 'Environ 1 500 000 USD de produits estimés.'],
  ['es', 'Coordenadas 14.674712, -92.142512 en la ribera del río.'],
  ['en', 'Between 1500-3000 migrants a month cross at this point.'],
  ['es', 'El Contador, de 45 años, dirige la red.'],
  ['es', 'El guía apodado "El Flaco" cobra por tramo.'],
  ['es', 'Migrantes hondureños, 25 años promedio.'],
  ['en', 'Digest 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 matched.'],
  [
    'en',
    'Digest (base64) wf8sJC4KewXIMN6JSncO9Ge2UjhYAcw1694ShnzTBa0= under key fiu-exchange-match-2026-01.',
  ],
  ['en', 'See alert 019a5f3e-7c2b-7d41-9b7e-3f2a1c4d5e6f for the earlier route.'],
  ['en', 'Migrants hidden in container MSCU1234567 at Puerto Quetzal.'],
  ['es', 'Tractocamión con placas 123ABC4 y VIN 1HGCM82633A004352.'],
  ['en', 'Flight AV 627 from Bogotá; vessel IMO 9074729.'],
  ['es', 'Cruzan por la calle principal de Tapachula, 12 migrantes por noche.'],
  ['es', 'En la avenida 3 personas vigilaban el retén.'],
  ['es', 'Control migratorio en la Calle 50, Ciudad de Panamá.'],
  ['es', 'Casa de seguridad en la colonia Las Palmas, Reynosa, con capacidad para 80 personas.'],
  ['es', 'Los menores (12 a 17 años) fueron entregados al DIF.'],
  ['es', 'Niñas de 14 y 15 años con indicadores de explotación sexual.'],
  ['es', 'Red liderada por alias "El Gordo", de 40 años aprox.'],
  ['es', 'San Pedro Sula, 12 de marzo: 30 migrantes partieron en 2 buses.'],
  ['es', 'Desde hace 8 años, Los Zetas controlan el paso por Nuevo Laredo.'],
  ['en', 'María Auxiliadora hospital in Managua received 3 injured migrants.'],
  ['en', 'Group of 14 Haitian nationals, including 3 children under 5.'],
  ['fr', 'Les passeurs exigent 3 000 USD ; 12 personnes dont 4 mineurs de 15 à 17 ans.'],
  ['pt', 'Rede que atua na fronteira Brasil-Bolívia desde 2019, com 45 vítimas identificadas.'],
  ['pt', 'Mulheres de 18 a 29 anos recrutadas com falsas ofertas de emprego em São Paulo.'],
  ['es', 'Carretera Federal 200, km 45, cerca de Tapanatepec.'],
  ['pt', 'Rodovia BR-101, entre Florianópolis e Porto Alegre, 2 vezes por semana.'],
  ['fr', 'Le réseau opère depuis 2015 entre Port-au-Prince et Dajabón.'],
  ['pt', 'Crianças de 5 a 11 anos, cerca de 40 pessoas no total.'],
  ['en', 'Women aged 18 to 29 were recruited with false job offers.'],
  ['en', 'Observed from 2026-10-01 to 2026-11-03; last seen 06:40 UTC.'],
  ['es', 'Modelo 2016, cubierta azul, chip inerte, zona MRZ con dígito erróneo.'],
  ['es', 'Tarifa: 3500 USD por persona; pago en 3 tramos.'],
  ['es', 'Llegan a Ciudad Hidalgo (río Suchiate) en balsas; 25 por viaje.'],
  ['en', 'Recruiter uses the handle "coyote_express" on social media.'],
];

describe('screenFreeText', () => {
  it('has at least 50 examples, positive and negative, in the four languages', () => {
    expect(POSITIVES.length + NEGATIVES.length).toBeGreaterThanOrEqual(50);
    const langs = new Set([...POSITIVES.map((p) => p[0]), ...NEGATIVES.map((n) => n[0])]);
    expect([...langs].sort()).toEqual(['en', 'es', 'fr', 'pt']);
  });

  it.each(POSITIVES)('[%s] %s → %s', (_lang, text, kind, what) => {
    const findings = screenFreeText(text);
    const match = findings.find((f) => f.kind === kind);
    expect(findings.map((f) => f.kind)).toContain(kind);
    expect(text.slice(match!.start, match!.end)).toBe(what);
  });

  it.each(NEGATIVES)('[%s] %s → nothing', (_lang, text) => {
    expect(screenFreeText(text)).toEqual([]);
  });

  it('reports every finding of a text, in order and without overlap', () => {
    const text = 'Yesenia, 15 años, tel. +504 9999 8888, correo yesenia15@correo.hn';
    const findings = screenFreeText(text);
    expect(findings.map((f) => f.kind)).toEqual(['name_with_age', 'phone_number', 'email_address']);
    for (let i = 1; i < findings.length; i++)
      expect(findings[i]!.start).toBeGreaterThanOrEqual(findings[i - 1]!.end);
  });

  it('says what a kind is, in words', () => {
    expect(describeFreeTextFinding('email_address')).toBe('an e-mail address');
    expect(describeFreeTextFinding('name_with_age')).toBe('a personal name next to an age');
  });

  it('takes time linear in the length of the text, whatever it holds', () => {
    // Inputs that make backtracking patterns quadratic or worse: long runs of what a rule starts on.
    const unit = [
      'a@'.repeat(1),
      '1-'.repeat(1),
      'María, ',
      '+5 ',
      'Calle ',
      'P<',
      '12 ',
      'x.',
      'nacida ',
      'named ',
    ];
    const time = (n: number): number => {
      const text = unit.map((u) => u.repeat(n)).join(' ');
      const t0 = process.hrtime.bigint();
      screenFreeText(text);
      return Number(process.hrtime.bigint() - t0) / 1e6;
    };
    // The best of three runs each, so that a busy machine does not decide the ratio.
    const best = (n: number): number => Math.min(time(n), time(n), time(n));
    time(2_000); // warm up
    const small = Math.max(best(5_000), 1);
    const large = best(40_000);
    // 8 times the input: linear work takes about 8 times as long, quadratic 64 times.
    expect(large / small).toBeLessThan(30);
  });
});
