/**
 * Screening of free text for what could identify a person (XII RCM 2007: no alert field may
 * identify a victim; victims appear only as counts, age bands and vulnerability flags): personal
 * names next to ages or introduced as names, dates of birth, document numbers, phone numbers,
 * e-mail addresses and street addresses, in English, Spanish, French and Portuguese.
 *
 * The rules of all four languages always apply, whatever `header.language` says: officers mix
 * languages (a Spanish summary quoting an English report), and a wrong tag must not open a hole.
 *
 * The text is cut once into tokens (words, numbers, punctuation) and every rule looks at a
 * bounded window of tokens around a point, so the work is linear in the length of the text. The
 * only regular expressions test one character or one token against a character class, with no
 * nested quantifiers, so no input can make them backtrack.
 *
 * What is legitimate stays legitimate: document series and number patterns with wildcards
 * ("A03######", "AB12…"), place names (even after a person: "Aeropuerto Juan Santamaría"),
 * route waypoints, dates of detection, counts, age bands ("12 a 17 años"), amounts, coordinates,
 * years, keyed digests (hex of 32 characters or more), alert ids (UUIDs), ISO 6346 container
 * numbers and the identifiers of vehicles, vessels and flights.
 */

/** What a finding is. */
export type FreeTextFindingKind =
  /** A capitalized name right before or after an age: "María, 14 años", "John, aged 12". */
  | 'name_with_age'
  /** A name introduced as one: "a boy named John", "de nombre Ana", "Nombre: Juan Pérez". */
  | 'personal_name'
  /** A date (or year) next to a word for birth: "nacida el 12/05/2010", "DOB 2010-05-12". */
  | 'date_of_birth'
  /** A passport, identity or account number: letters and six or more digits, or a long number. */
  | 'document_number'
  /** A phone number: "+502 5555 1234", "(555) 123-4567", "tel. 8888-8888". */
  | 'phone_number'
  /** An e-mail address. */
  | 'email_address'
  /** A street and house number: "Calle 5 de Mayo 123", "12 rue de la Paix", "123 Main Street". */
  | 'street_address';

/** One thing found; `start` and `end` are UTF-16 offsets into the text (end exclusive). */
export interface FreeTextFinding {
  readonly kind: FreeTextFindingKind;
  readonly start: number;
  readonly end: number;
}

const DESCRIPTIONS: Readonly<Record<FreeTextFindingKind, string>> = {
  name_with_age: 'a personal name next to an age',
  personal_name: 'a personal name',
  date_of_birth: 'a date of birth',
  document_number: 'a document or account number',
  phone_number: 'a phone number',
  email_address: 'an e-mail address',
  street_address: 'a street address',
};

/** What a finding of `kind` is, in words: "an e-mail address". */
export function describeFreeTextFinding(kind: FreeTextFindingKind): string {
  return DESCRIPTIONS[kind];
}

// ---------------------------------------------------------------------------------------------
// tokens

type TokenType = 'word' | 'num' | 'alnum' | 'punct';

interface Token {
  readonly type: TokenType;
  readonly start: number;
  readonly end: number;
  readonly text: string;
  /** Lower case without diacritics, for word lists. */
  readonly key: string;
  readonly digits: number;
  /** Whitespace before the token: '' none, ' ' spaces or tabs on the same line, '\n' a line break. */
  readonly gap: '' | ' ' | '\n';
}

const LETTER = /\p{L}|\p{M}/u;
const DIGIT = /[0-9]/;
const SPACE = /\s/u;
const UPPER = /\p{Lu}/u;
const LOWER = /\p{Ll}/u;
const MARKS = /\p{M}/gu;

function isAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) >= 0x80) return false;
  return true;
}

function fold(text: string): string {
  // ASCII has no decompositions and no marks: NFD and the mark removal leave it as it is.
  if (isAscii(text)) return text.toLowerCase();
  return text.normalize('NFD').replace(MARKS, '').toLowerCase();
}

// The character classes of tokenize(), answered without a Unicode regex for ASCII (most text).
function isSpace(ch: string): boolean {
  const c = ch.charCodeAt(0);
  if (c < 0x80) return c === 0x20 || (c >= 0x09 && c <= 0x0d);
  return SPACE.test(ch);
}

function isDigit(ch: string): boolean {
  const c = ch.charCodeAt(0);
  return c >= 0x30 && c <= 0x39;
}

function isLetter(ch: string): boolean {
  const c = ch.charCodeAt(0);
  if (c < 0x80) return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
  return LETTER.test(ch);
}

function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  let gap: Token['gap'] = '';
  while (i < text.length) {
    const ch = text[i]!;
    if (isSpace(ch)) {
      if (ch === '\n' || ch === '\r') gap = '\n';
      else if (gap === '') gap = ' ';
      i++;
      continue;
    }
    const start = i;
    if (isLetter(ch) || isDigit(ch)) {
      let letters = 0;
      let digits = 0;
      while (i < text.length) {
        const c = text[i]!;
        if (isDigit(c)) digits++;
        else if (isLetter(c)) letters++;
        else break;
        i++;
      }
      const t = text.slice(start, i);
      const type: TokenType = digits === 0 ? 'word' : letters === 0 ? 'num' : 'alnum';
      out.push({ type, start, end: i, text: t, key: fold(t), digits, gap });
    } else {
      // One code point of punctuation or a symbol.
      const cp = text.codePointAt(i)!;
      i += cp > 0xffff ? 2 : 1;
      const t = text.slice(start, i);
      out.push({ type: 'punct', start, end: i, text: t, key: t, digits: 0, gap });
    }
    gap = '';
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// word lists (keys: lower case, no diacritics)

const set = (words: string): ReadonlySet<string> => new Set(words.split(/\s+/).filter((w) => w !== ''));

const AGE_UNITS = set(`anos ano ans an years year yrs yr yo meses mes months month mois`);
const AGE_BEFORE = set(`aged age edad idade age agee ages agees`);
const AGE_LINKS = set(`de of com with who is was que quien tiene tenia tem tinha qui a has had aged age edad
  idade agee agees ages`);
const NUMBER_WORDS: ReadonlyMap<string, number> = new Map(
  `un:1 uno:1 una:1 dos:2 tres:3 cuatro:4 cinco:5 seis:6 siete:7 ocho:8 nueve:9 diez:10 once:11
    doce:12 trece:13 catorce:14 quince:15 dieciseis:16 diecisiete:17 dieciocho:18 diecinueve:19
    um:1 uma:1 dois:2 duas:2 quatro:4 sete:7 oito:8 nove:9 dez:10 onze:11 doze:12 treze:13
    catorze:14 quatorze:14 quinze:15 dezesseis:16 dezasseis:16 dezessete:17 dezassete:17
    dezoito:18 dezenove:19 dezanove:19 deux:2 trois:3 cinq:5 six:6 sept:7 huit:8 neuf:9 dix:10
    douze:12 treize:13 seize:16 one:1 two:2 three:3 four:4 five:5 seven:7 eight:8 nine:9 ten:10
    eleven:11 twelve:12 thirteen:13 fourteen:14 fifteen:15 sixteen:16 seventeen:17 eighteen:18
    nineteen:19`
    .split(/\s+/)
    .filter((w) => w !== '')
    .map((w) => {
      const [k, v] = w.split(':') as [string, string];
      return [k, Number(v)] as const;
    }),
);

/** Words that introduce a name. */
const NAME_INTRO = set(`named called llamado llamada llamados llamadas nombre nome nom nommé nomme nommee
  appele appelee chamado chamada identificado identificada identified identifie identifiee victima
  victim victime vitima menor nina nino girl boy fille garcon menina menino`);
/** Forms of address before a name (capitalized). */
const TITLES = set(`sr sra srta senor senora senorita don dona mr mrs ms miss mme mlle monsieur madame`);
/** Words of "de nombre", "se llama", "du nom de", "by the name of" (the name follows). */
const NAME_INTRO_LAST = set(`llama llamaba chama chamava`);

/** Capitalized words that are not given names: function words, domain nouns, places, months. */
const NOT_NAMES = set(`el la los las lo un una unos unas le les des du de del da das do dos the a an this that
  these those o os as um uma y e et and ou or en in em dans on at a al au aux por para per pour for with
  con com avec sin sans without sobre over under bajo sous sob entre between among durante during
  pendant desde since depuis hace ago ha apres after despues tras antes before avant hasta until
  jusqu ate approximately aproximadamente environ cerca about around some algunos algunas quelques
  alguns algumas mas plus more menos moins less mais most casi almost presque quase total todos
  todas all tous toutes todos cada each chaque otro otra other autre outro outra
  menores menor minors minor mineurs mineur mayores adultos adultas adults adult majeurs maiores
  ninos ninas children child kids enfants enfant criancas crianca boys girls garcons filles meninos
  meninas mujeres mujer women woman femmes femme mulheres mulher hombres hombre men man hommes homme
  homens homem personas persona people person personnes personne pessoas pessoa migrantes migrante
  migrants migrant victimas victims victimes vitimas adolescentes adolescente adolescents
  teenagers jovenes joven jovens jeunes young familias familia families family familles famille
  bebes bebe babies baby bebês grupo group groupe grupos groups groupes red network reseau rede
  ruta route rota alerta alert alerte caso case cas operativo operation operacao edad age idade
  guatemala mexico honduras salvador nicaragua costa rica panama belice belize dominicana haiti
  cuba venezuela colombia ecuador peru brasil brazil bresil chile argentina estados unidos united
  states usa eeuu canada china india africa europa europe
  guatemalteco guatemalteca guatemaltecos guatemaltecas guatemalan guatemalans hondureno hondurena
  hondurenos hondurenas honduran hondurans hondurenho hondurenha salvadoreno salvadorena
  salvadorenos salvadorenas salvadoran salvadorans salvadorean mexicano mexicana mexicanos mexicanas
  mexican mexicans nicaraguense nicaraguenses nicaraguan nicaraguans costarricense costarricenses
  panameno panamena panamanian belizean beliceno dominicano dominicana dominican haitiano haitiana
  haitian haitians haitien haitienne cubano cubana cuban venezolano venezolana venezuelan
  colombiano colombiana colombian ecuatoriano ecuatoriana ecuadorian peruano peruana peruvian
  brasileno brasilena brasileiro brasileira brazilian chino china chinese indio india indian
  africano africana african americano americana american
  enero febrero marzo abril mayo junio julio agosto septiembre setiembre octubre noviembre diciembre
  january february march april may june july august september october november december janvier
  fevrier mars avril mai juin juillet aout septembre octobre novembre decembre janeiro fevereiro
  marco maio junho julho setembro outubro novembro dezembro
  lunes martes miercoles jueves viernes sabado domingo monday tuesday wednesday thursday friday
  saturday sunday
  puerto ciudad san santa santo aeropuerto frontera puesto rio river km kilometro ruta carretera
  highway rodovia`);

/** Common given names, for the looser patterns ("María (14)", "de 14 años, María"). */
const GIVEN_NAMES =
  set(`maria jose juan ana luis carlos jorge pedro miguel jesus francisco antonio manuel rosa
  carmen marta martha sofia camila valentina isabel lucia elena laura andrea daniela gabriela
  fernanda paola karla diana sandra patricia guadalupe alejandra mariana ximena fatima yesenia wendy
  kimberly dulce esperanza josefina juana margarita teresa veronica claudia silvia gloria blanca
  leticia olga sara raquel ruth esther yolanda reina glenda dayana evelyn jennifer jessica ashley
  emily mary sarah elizabeth linda susan john james robert michael william david richard joseph
  thomas charles daniel matthew anthony mark kevin brian steven jason christopher josue brayan
  bryan erick eric wilmer elmer edwin nelson marvin oscar mario ricardo roberto fernando sergio
  alejandro eduardo javier rafael raul rodrigo diego andres santiago mateo sebastian samuel
  emmanuel angel cristian christian jonathan alexander alex hector hugo victor julio cesar pablo
  ramon ruben arturo alberto enrique gustavo marco marcos joel selvin mynor byron walter henry
  jairo franklin hernan jean pierre marie jacques michel louis paul claude anne sophie camille lea
  chloe emma lucas nathan jules wilson fabiola nadege mackenson woodley jocelyn guerline joao paulo
  gabriel matheus felipe bruno thiago tiago francisca antonia adriana juliana marcia aline beatriz
  larissa leticia luana bruna amanda vitoria julia isabela manuela heloisa`);

const BIRTH_WORDS = set(`nacido nacida nacidos nacidas nacio nacimiento nac born birth dob birthdate
  birthday ne nee nes nees naissance nascido nascida nascidos nascidas nasceu nascimento`);
/** Words that turn "birth" into a document: "acta de nacimiento", "birth certificate". */
const BIRTH_DOCUMENT = set(`certificado certificados acta actas partida partidas certidao certidoes acte
  actes extrait extraits registro registros certificate certificates record records registration
  lugar place lieu local`);

const MONTHS: ReadonlySet<string> = set(`enero febrero marzo abril mayo junio julio agosto septiembre
  setiembre octubre noviembre diciembre january february march april may june july august september
  october november december jan feb mar apr jun jul aug sep sept oct nov dec janvier fevrier mars
  avril mai juin juillet aout septembre octobre novembre decembre janeiro fevereiro marco maio junho
  julho setembro outubro novembro dezembro ene abr ago dic`);

const PHONE_WORDS = set(`tel tels tele telefono telefonos telefone telefones telephone telephones phone
  phones celular celulares cel cell cellphone movil moviles mobile mobiles portable whatsapp wa
  telegram signal sms llamar call appeler ligar contacto contact contato`);
const DOCUMENT_WORDS = set(`pasaporte pasaportes passport passports passeport passeports passaporte
  passaportes dpi cedula cedulas dui curp ine cui rtn dni cni nit identidad identity identite
  identificacion identification identificacao id documento documentos document documents carte
  carnet carne rg cpf rnp licencia licence license permis visa visado tarjeta card`);
/** Identifiers of vehicles, vessels and flights: intelligence about the means, not about a person. */
const MEANS_WORDS = set(`vin chasis chassis placa placas plate plates plaque plaques matricula
  matriculas imo mmsi contenedor contenedores container containers conteneur conteneurs
  contentor vuelo vuelos flight flights vol vols voo voos`);
const UNIT_WORDS = set(`usd us eur mxn gtq hnl crc nio pab bzd dop cop brl dolares dolar dollars dollar
  quetzales quetzal pesos peso lempiras lempira colones colon cordobas reais real euros euro
  migrantes migrants personas personnes pessoas people persons personas menores minors ninos
  children victimas victims km kms kilometros kilometres kilometers metros meters metres m kg kilos
  millas miles horas hours heures dias days jours semanas weeks mes meses months mois anos years ans
  veces times fois vezes documentos documents pasaportes passports unidades units casos cases
  envios transfers remesas`);
const CURRENCY_SYMBOLS = set(`$ € £ ¥`);

const STREET_FIRST = set(`calle calles avenida av avda pasaje psje colonia barrio bairro residencial
  lotificacion manzana mz lote carrera cra diagonal calzada bulevar boulevard blvd callejon
  rue bd chemin impasse allee quai rua travessa alameda apt apartment apto apartamento suite`);
const STREET_LAST = set(`street st avenue ave road rd boulevard blvd drive lane ln way court ct terrace
  rue avenue boulevard bd chemin impasse allee quai`);
const ADDRESS_AFTER = set(`casa apto apt apartamento piso andar bloco bloque zona col colonia barrio bairro
  cep cp bis ter interior int`);
const STREET_NAME_LINKS = set(`de del la las los el da das do dos des du le d`);

const SENTENCE_END = set(`. ! ? : ; • - – —`);

// ---------------------------------------------------------------------------------------------
// screening

/**
 * Finds what in `text` could identify a person; empty when nothing does. Pure, and linear in the
 * length of `text`. Findings are in text order and do not overlap.
 */
export function screenFreeText(text: string): FreeTextFinding[] {
  if (typeof text !== 'string' || text.trim() === '') return [];
  const found: FreeTextFinding[] = [];
  findEmails(text, found);
  const tokens = tokenize(text);
  const masked = maskIdentifiersOfThings(tokens, found);
  const ctx: Ctx = { text, tokens, masked, found };
  for (let i = 0; i < tokens.length; i++) {
    if (masked[i] === true) continue;
    const t = tokens[i]!;
    if (t.type === 'word' || t.type === 'alnum') {
      streetFirst(ctx, i);
      nameIntroduced(ctx, i);
    }
    if (t.type === 'num' || (t.type === 'word' && NUMBER_WORDS.has(t.key))) {
      nameWithAge(ctx, i);
      streetNumberFirst(ctx, i);
    }
    const opens =
      (t.text === '+' && tokens[i + 1]?.type === 'num') ||
      (t.text === '(' && tokens[i + 1]?.type === 'num' && tokens[i + 2]?.text === ')');
    if (t.type === 'num' || t.type === 'alnum' || opens) {
      const next = numbers(ctx, i);
      if (next > i + 1) i = next - 1;
    }
    if ((t.type === 'alnum' || t.type === 'word') && tokens[i + 1]?.text === '<') mrz(ctx, i);
  }
  return merge(found);
}

interface Ctx {
  readonly text: string;
  readonly tokens: readonly Token[];
  /** Tokens that belong to an e-mail address, a UUID, a digest or a pattern: not looked at again. */
  readonly masked: boolean[];
  readonly found: FreeTextFinding[];
}

function add(ctx: Ctx, kind: FreeTextFindingKind, start: number, end: number): void {
  ctx.found.push({ kind, start, end });
}

/** Findings in order; overlapping ones keep the first (rules run left to right). */
function merge(found: FreeTextFinding[]): FreeTextFinding[] {
  const sorted = [...found].sort((a, b) => a.start - b.start || b.end - a.end);
  const out: FreeTextFinding[] = [];
  for (const f of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && f.start < last.end) continue;
    out.push(f);
  }
  return out;
}

// e-mail -------------------------------------------------------------------------------------

const LOCAL_PART = /[A-Za-z0-9._%+-]/;
const DOMAIN_PART = /[A-Za-z0-9.-]/;
const ALPHA = /[A-Za-z]/;

function findEmails(text: string, found: FreeTextFinding[]): void {
  // Each '@' looks left over the local part and right over the domain; neither crosses another
  // '@', so every character is looked at at most twice.
  let from = 0;
  for (;;) {
    const at = text.indexOf('@', from);
    if (at < 0) return;
    from = at + 1;
    let s = at;
    while (s > 0 && LOCAL_PART.test(text[s - 1]!)) s--;
    let e = at + 1;
    while (e < text.length && DOMAIN_PART.test(text[e]!)) e++;
    while (e > at + 1 && (text[e - 1] === '.' || text[e - 1] === '-')) e--;
    if (s === at || e === at + 1) continue;
    const domain = text.slice(at + 1, e);
    const dot = domain.lastIndexOf('.');
    if (dot <= 0) continue;
    const tld = domain.slice(dot + 1);
    if (tld.length < 2 || ![...tld].every((c) => ALPHA.test(c))) continue;
    found.push({ kind: 'email_address', start: s, end: e });
  }
}

// things that are not people --------------------------------------------------------------------

const HEX = /^[0-9a-f]+$/i;
const UUID_GROUPS = [8, 4, 4, 4, 12];
const CONTAINER = /^[A-Z]{3}[UJZ][0-9]{7}$/;
const WILDCARDS = set(`# ? * … x`);

function maskIdentifiersOfThings(tokens: readonly Token[], emails: readonly FreeTextFinding[]): boolean[] {
  const masked: boolean[] = new Array<boolean>(tokens.length).fill(false);
  let e = 0;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    // Inside an e-mail address (found already, in text order).
    while (e < emails.length && emails[e]!.end <= t.start) e++;
    const email = emails[e];
    if (email !== undefined && t.start < email.end && t.end > email.start) {
      masked[i] = true;
      continue;
    }
    // A UUID (an alert id): five hex groups joined by hyphens.
    if (isUuidAt(tokens, i)) {
      for (let k = 0; k < 9; k++) masked[i + k] = true;
      i += 8;
      continue;
    }
    if (t.type === 'num' || t.type === 'alnum' || t.type === 'word') {
      // A keyed digest or other hash written out: not text about anyone.
      if (t.text.length >= 32 && HEX.test(t.text)) masked[i] = true;
      // ... or in base64: long, and of mixed case, which document numbers never are.
      else if (t.type === 'alnum' && t.text.length >= 16 && LOWER.test(t.text) && UPPER.test(t.text))
        masked[i] = true;
      // An ISO 6346 container number.
      else if (CONTAINER.test(t.text)) masked[i] = true;
      // A number pattern or series: "A03######", "A04#####?", "G12*", "AB12…", "A03XXXXXX".
      else if (t.digits > 0 && isPatternAt(tokens, i)) masked[i] = true;
    }
  }
  return masked;
}

function isUuidAt(tokens: readonly Token[], i: number): boolean {
  for (let g = 0; g < 5; g++) {
    const t = tokens[i + 2 * g];
    if (t === undefined || t.text.length !== UUID_GROUPS[g] || !HEX.test(t.text)) return false;
    if (g > 0 && (tokens[i + 2 * g - 1]?.text !== '-' || t.gap !== '' || tokens[i + 2 * g - 1]!.gap !== ''))
      return false;
  }
  return true;
}

function isPatternAt(tokens: readonly Token[], i: number): boolean {
  const t = tokens[i]!;
  const next = tokens[i + 1];
  if (next !== undefined && next.gap === '' && next.type === 'punct' && WILDCARDS.has(next.text)) return true;
  if (next !== undefined && next.gap === '' && next.text === '.' && tokens[i + 2]?.text === '.') return true;
  // Trailing X's standing for digits: "A03XXXXXX".
  const m = /[Xx]{2,}$/.exec(t.text);
  return (
    m !== null && t.text.length - m[0].length > 0 && DIGIT.test(t.text[t.text.length - m[0].length - 1]!)
  );
}

// numbers: phones, document numbers, dates of birth ------------------------------------------

interface NumberRun {
  readonly first: number;
  /** Index after the last token of the run. */
  readonly next: number;
  readonly groups: readonly Token[];
  readonly seps: readonly string[];
  readonly plus: boolean;
  readonly parens: boolean;
  readonly digits: number;
}

/** Reads digit groups joined by single separators (space, '-', '.', '/', parentheses). */
function readRun(ctx: Ctx, i: number): NumberRun {
  const { tokens } = ctx;
  let j = i;
  let plus = false;
  let parens = false;
  if (tokens[j]!.text === '+') {
    plus = true;
    j++;
  }
  const groups: Token[] = [];
  const seps: string[] = [];
  let next = j;
  while (j < tokens.length && groups.length < 8) {
    let t = tokens[j]!;
    let sep = groups.length === 0 ? '' : t.gap === '\n' ? '\n' : t.gap === ' ' ? ' ' : '';
    let k = j;
    if (groups.length > 0 && t.type === 'punct') {
      if (t.gap !== '' || !['-', '.', '/', '–', ')'].includes(t.text)) break;
      sep = t.text === '–' ? '-' : t.text;
      if (t.text === ')') parens = true;
      k++;
      t = tokens[k] ?? t;
      if (k >= tokens.length || (t.gap !== '' && sep !== ')')) break;
    } else if (groups.length > 0 && (sep === '' || sep === '\n')) break;
    if (t.text === '(' && tokens[k + 1]?.type === 'num' && tokens[k + 2]?.text === ')') {
      parens = true;
      k++;
      t = tokens[k]!;
    }
    if ((t.type !== 'num' && t.type !== 'alnum') || ctx.masked[k] === true) break;
    if (t.type === 'alnum' && groups.length > 0) break;
    groups.push(t);
    seps.push(sep);
    j = k + 1;
    next = j;
    if (t.type === 'alnum') break;
  }
  // A closing parenthesis of an area code "(555)" belongs to the run.
  const digits = groups.reduce((n, g) => n + g.digits, 0);
  return { first: i, next, groups, seps, plus, parens, digits };
}

function keyBefore(ctx: Ctx, i: number, words: ReadonlySet<string>, window: number): boolean {
  for (let j = i - 1; j >= 0 && j >= i - window; j--) {
    const t = ctx.tokens[j]!;
    if (words.has(t.key)) return true;
    if (t.type === 'punct' && (t.text === '.' || t.text === ';') && ctx.tokens[j + 1]?.gap !== '') {
      // a sentence ended before: stop, unless the period ends an abbreviation ("tel.", "No.")
      const prev = ctx.tokens[j - 1];
      if (prev === undefined || prev.type !== 'word' || prev.text.length > 4) return false;
    }
  }
  return false;
}

function unitAfter(ctx: Ctx, next: number): boolean {
  const t = ctx.tokens[next];
  if (t === undefined) return false;
  if (UNIT_WORDS.has(t.key) || CURRENCY_SYMBOLS.has(t.text) || t.text === '%') return true;
  return false;
}

function unitBefore(ctx: Ctx, first: number): boolean {
  const t = ctx.tokens[first - 1];
  if (t === undefined) return false;
  return (
    CURRENCY_SYMBOLS.has(t.text) ||
    (t.key.length === 3 && UNIT_WORDS.has(t.key) && t.text === t.text.toUpperCase())
  );
}

function isDateShape(run: NumberRun): boolean {
  const g = run.groups;
  if (g.length !== 3 || g.some((t) => t.type !== 'num')) return false;
  const [a, b, c] = g.map((t) => t.text.length) as [number, number, number];
  const s = run.seps;
  if (s[1] !== s[2] || !['-', '.', '/'].includes(s[1]!)) return false;
  return (a === 4 && b <= 2 && c <= 2) || (a <= 2 && b <= 2 && (c === 4 || c === 2));
}

function numbers(ctx: Ctx, i: number): number {
  const run = readRun(ctx, i);
  if (run.groups.length === 0) return i;
  const { tokens } = ctx;
  const start = tokens[i]!.start;
  const end = tokens[run.next - 1]!.end;
  const g = run.groups;

  // A date: only a date of birth identifies.
  if (isDateShape(run)) {
    if (birthBefore(ctx, i)) add(ctx, 'date_of_birth', start, end);
    return run.next;
  }
  // "12 de mayo de 2010", "12 May 2010", "May 12, 2010" next to a birth word.
  if (g.length === 1 && g[0]!.type === 'num') {
    const dateEnd = textualDateEnd(ctx, i);
    if (dateEnd > i) {
      if (birthBefore(ctx, i)) add(ctx, 'date_of_birth', start, tokens[dateEnd - 1]!.end);
      return dateEnd;
    }
    const value = Number(g[0]!.text);
    if (g[0]!.text.length === 4 && value >= 1900 && value <= 2100 && birthBefore(ctx, i)) {
      add(ctx, 'date_of_birth', start, end);
      return run.next;
    }
  }

  // Too short to identify anything: let the other rules read these tokens (ages, house numbers).
  if (run.digits < 5) return i;
  const means = keyBefore(ctx, i, MEANS_WORDS, 3);
  if (means) return run.next;
  const phoneWord = keyBefore(ctx, i, PHONE_WORDS, 4);
  const documentWord = keyBefore(ctx, i, DOCUMENT_WORDS, 4);
  const amount = unitAfter(ctx, run.next) || unitBefore(ctx, i);

  // Letters with six or more digits: a passport or identity number ("A01234567", "GODE561231HDF").
  if (g.length === 1 && g[0]!.type === 'alnum') {
    if (g[0]!.digits >= 6 || (documentWord && g[0]!.digits >= 5)) add(ctx, 'document_number', start, end);
    return run.next;
  }
  const d = run.digits;
  const kind: FreeTextFindingKind =
    phoneWord && !documentWord ? 'phone_number' : documentWord ? 'document_number' : 'phone_number';

  if (g.length === 1) {
    if (amount) return run.next;
    if (d >= 8 || (documentWord && d >= 6) || (phoneWord && d >= 7))
      add(ctx, phoneWord || documentWord ? kind : 'document_number', start, end);
    return run.next;
  }
  if (run.plus && d >= 8 && d <= 15) {
    add(ctx, 'phone_number', start, end);
    return run.next;
  }
  if (run.seps.slice(1).some((s) => s === '/')) return run.next;
  const lens = g.map((t) => t.text.length);
  const values = g.map((t) => Number(t.text));
  // A decimal number or a coordinate: "14.674712".
  if (g.length === 2 && run.seps[1] === '.' && !phoneWord) return run.next;
  // A range of years or of round figures: "2019-2024", "1500-3000".
  if (g.length === 2 && run.seps[1] === '-') {
    const [a, b] = values as [number, number];
    const years = lens[0] === 4 && lens[1] === 4 && a >= 1900 && a <= 2100 && b >= 1900 && b <= 2100;
    const round = a < b && a % 50 === 0 && b % 50 === 0;
    if ((years || round) && !phoneWord) return run.next;
  }
  // Thousands: "25 000 000", "25.000.000".
  const thousands =
    lens[0]! <= 3 &&
    lens.slice(1).every((n) => n === 3) &&
    run.seps.slice(1).every((s) => s === ' ' || s === '.');
  if ((thousands || amount) && !phoneWord) return run.next;
  if ((d >= 8 && d <= 15) || ((phoneWord || documentWord) && d >= 6 && d <= 18) || (d > 15 && documentWord))
    add(ctx, kind, start, end);
  else if (d > 15) add(ctx, 'document_number', start, end);
  return run.next;
}

/** The index after a textual date starting at the day number `i`, or `i` when there is none. */
function textualDateEnd(ctx: Ctx, i: number): number {
  const { tokens } = ctx;
  const day = Number(tokens[i]!.text);
  if (tokens[i]!.text.length > 2 || day < 1 || day > 31) return i;
  let j = i + 1;
  if (tokens[j]?.key === 'de') j++;
  if (!MONTHS.has(tokens[j]?.key ?? '')) return i;
  j++;
  if (tokens[j]?.text === '.') j++;
  if (tokens[j]?.key === 'de' || tokens[j]?.key === 'del') j++;
  const year = tokens[j];
  if (year?.type === 'num' && year.text.length === 4) return j + 1;
  return i;
}

function birthBefore(ctx: Ctx, i: number): boolean {
  const { tokens } = ctx;
  // "May 12, 2010": the month comes first.
  let from = i;
  if (MONTHS.has(tokens[i - 1]?.key ?? '')) from = i - 1;
  for (let j = from - 1; j >= 0 && j >= from - 6; j--) {
    const t = tokens[j]!;
    if (t.type === 'punct' && (t.text === '.' || t.text === ';') && tokens[j + 1]?.gap === '\n') return false;
    if (isBirthWord(ctx, j)) return true;
  }
  return false;
}

function isBirthWord(ctx: Ctx, j: number): boolean {
  const { tokens } = ctx;
  const t = tokens[j]!;
  // "D.O.B."
  if (
    t.key === 'b' &&
    tokens[j - 1]?.text === '.' &&
    tokens[j - 2]?.key === 'o' &&
    tokens[j - 4]?.key === 'd'
  )
    return true;
  if (!BIRTH_WORDS.has(t.key)) return false;
  // "acta de nacimiento", "birth certificate", "lugar de nacimiento": a document or a place.
  for (let k = j - 2; k <= j + 1; k++) if (k !== j && BIRTH_DOCUMENT.has(tokens[k]?.key ?? '')) return false;
  return true;
}

// names -----------------------------------------------------------------------------------------

function isCapitalized(t: Token | undefined): boolean {
  if (t === undefined || t.type !== 'word' || t.text.length < 2) return false;
  const chars = [...t.text];
  return UPPER.test(chars[0]!) && chars.slice(1).some((c) => LOWER.test(c));
}

function isAllCaps(t: Token): boolean {
  return t.type === 'word' && t.text === t.text.toUpperCase() && t.text !== t.text.toLowerCase();
}

/** Whether token `j` could be a person's name (given name or surname). */
function isNameToken(t: Token | undefined): boolean {
  if (t === undefined || t.type !== 'word') return false;
  if (GIVEN_NAMES.has(t.key)) return isCapitalized(t) || isAllCaps(t);
  return isCapitalized(t) && !NOT_NAMES.has(t.key);
}

function sentenceStart(ctx: Ctx, j: number): boolean {
  const prev = ctx.tokens[j - 1];
  return (
    prev === undefined ||
    (prev.type === 'punct' && SENTENCE_END.has(prev.text)) ||
    ctx.tokens[j]!.gap === '\n'
  );
}

/** The age expression at `i` (a number, or a number word): its end, or -1. */
function ageAt(ctx: Ctx, i: number): { end: number; unit: boolean } | undefined {
  const { tokens } = ctx;
  const t = tokens[i]!;
  const value = t.type === 'num' ? Number(t.text) : NUMBER_WORDS.get(t.key);
  if (value === undefined || value > 120 || (t.type === 'num' && t.text.length > 3)) return undefined;
  let j = i + 1;
  if (tokens[j]?.text === '-' && tokens[j]!.gap === '') j++;
  const u = tokens[j];
  if (u !== undefined && AGE_UNITS.has(u.key)) {
    // "14 años y 3 meses" ends at the first unit; enough for the offsets.
    let end = j + 1;
    if (tokens[end]?.text === '-' && tokens[end + 1]?.key === 'old') end += 2;
    else if (tokens[end]?.key === 'old') end++;
    return { end, unit: true };
  }
  // "y/o", "y.o."
  if (
    u?.key === 'y' &&
    (tokens[j + 1]?.text === '/' || tokens[j + 1]?.text === '.') &&
    tokens[j + 2]?.key === 'o'
  )
    return { end: j + 3, unit: true };
  return { end: i + 1, unit: false };
}

function nameWithAge(ctx: Ctx, i: number): void {
  const { tokens } = ctx;
  const age = ageAt(ctx, i);
  if (age === undefined) return;
  // "aged 12", "edad: 14", "âgée de 15 ans" before the number make an age without a unit.
  let j = i - 1;
  let links = 0;
  let strongLink = false;
  let ageWord = false;
  while (j >= 0 && links < 3) {
    const t = tokens[j]!;
    if (t.text === ',' || t.text === '(' || t.text === ':' || t.text === '-' || t.text === '–')
      strongLink = true;
    else if (AGE_BEFORE.has(t.key)) {
      ageWord = true;
      strongLink = true;
    } else if (!AGE_LINKS.has(t.key)) break;
    links++;
    j--;
  }
  const closingParen = tokens[age.end]?.text === ')' && tokens[i - 1]?.text === '(';
  const isAge = age.unit || ageWord;
  if (isAge && links > 0 && j >= 0) {
    const name = tokens[j]!;
    const article = ['el', 'la', 'le', 'o', 'the', 'los', 'las'].includes(tokens[j - 1]?.key ?? '');
    if (isNameToken(name) && !article) {
      const given = GIVEN_NAMES.has(name.key);
      // A capitalized word opening a sentence may be any noun ("Durante 10 años"): then only a
      // comma or parenthesis, or a known given name, makes it a name.
      if (given || !sentenceStart(ctx, j) || strongLink) {
        let s = j;
        while (
          s > 0 &&
          j - s < 4 &&
          (isNameToken(tokens[s - 1]) ||
            (STREET_NAME_LINKS.has(tokens[s - 1]!.key) && isNameToken(tokens[s - 2])))
        )
          s--;
        add(ctx, 'name_with_age', tokens[s]!.start, tokens[age.end - 1 + (closingParen ? 1 : 0)]!.end);
        return;
      }
    }
  }
  // "María (14)": a given name and a bare number in parentheses.
  if (
    !isAge &&
    closingParen &&
    j >= 0 &&
    GIVEN_NAMES.has(tokens[i - 2]?.key ?? '') &&
    isNameToken(tokens[i - 2])
  ) {
    add(ctx, 'name_with_age', tokens[i - 2]!.start, tokens[age.end]!.end);
    return;
  }
  // "14-year-old María", "de 14 años, María": a given name right after the age.
  if (age.unit) {
    let k = age.end;
    if (tokens[k]?.text === ',') k++;
    const name = tokens[k];
    if (name !== undefined && GIVEN_NAMES.has(name.key) && isNameToken(name))
      add(ctx, 'name_with_age', tokens[i]!.start, name.end);
  }
}

function nameIntroduced(ctx: Ctx, i: number): void {
  const { tokens } = ctx;
  const t = tokens[i]!;
  let j: number;
  if (NAME_INTRO.has(t.key)) {
    // "Nombre: Juan", "de nombre Ana", "named John", "la víctima María"
    const victimNoun = ![
      'named',
      'called',
      'llamado',
      'llamada',
      'llamados',
      'llamadas',
      'nombre',
      'nome',
      'nom',
      'nomme',
      'nommee',
      'appele',
      'appelee',
      'chamado',
      'chamada',
      'identificado',
      'identificada',
      'identified',
      'identifie',
      'identifiee',
    ].includes(t.key);
    j = i + 1;
    if (
      !victimNoun &&
      (tokens[j]?.text === ':' ||
        tokens[j]?.key === 'as' ||
        tokens[j]?.key === 'como' ||
        tokens[j]?.key === 'comme' ||
        tokens[j]?.key === 'de')
    )
      j++;
    if (victimNoun && tokens[j]?.gap === '\n') return;
  } else if (TITLES.has(t.key) && isCapitalized(t)) {
    // "Sr. Juan Pérez", "Mrs Smith", "Doña Rosa"
    j = i + 1;
    if (tokens[j]?.text === '.' && tokens[j]!.gap === '') j++;
  } else if (NAME_INTRO_LAST.has(t.key) && tokens[i - 1]?.key === 'se') {
    j = i + 1;
  } else if (t.key === 'name' && (tokens[i + 1]?.text === ':' || tokens[i - 1]?.key === 'the')) {
    // "Name: John", "by the name of John"
    j = i + 1;
    if (tokens[j]?.text === ':' || tokens[j]?.key === 'of') j++;
  } else return;
  const name = tokens[j];
  // A quoted or article-led name is an alias ("apodado 'El Flaco'", "llamado El Contador").
  if (name === undefined || !isNameToken(name)) return;
  let e = j;
  while (
    e + 1 < tokens.length &&
    e - j < 4 &&
    tokens[e + 1]!.gap !== '\n' &&
    (isNameToken(tokens[e + 1]) || (STREET_NAME_LINKS.has(tokens[e + 1]!.key) && isNameToken(tokens[e + 2])))
  )
    e++;
  add(ctx, 'personal_name', name.start, tokens[e]!.end);
}

// street addresses ------------------------------------------------------------------------------

function houseNumberAt(ctx: Ctx, k: number, afterComma: boolean): number {
  const { tokens } = ctx;
  let j = k;
  const t = tokens[j];
  if (t === undefined) return -1;
  if (
    t.text === '#' ||
    t.key === 'no' ||
    t.key === 'n' ||
    t.key === 'numero' ||
    t.key === 'num' ||
    t.text === 'nº' ||
    t.text === 'n°'
  ) {
    j++;
    while (
      tokens[j]?.text === '.' ||
      tokens[j]?.text === 'º' ||
      tokens[j]?.text === '°' ||
      tokens[j]?.key === 'o'
    )
      j++;
  }
  const n = tokens[j];
  if (n === undefined || (n.type !== 'num' && n.type !== 'alnum') || n.digits === 0 || n.digits > 5)
    return -1;
  let e = j + 1;
  if (tokens[e]?.text === '-' && tokens[e + 1]?.type === 'num' && tokens[e]!.gap === '') e += 2;
  const after = tokens[e];
  if (
    after !== undefined &&
    (UNIT_WORDS.has(after.key) || (MONTHS.has(tokens[e + 1]?.key ?? '') && after.key === 'de'))
  )
    return -1;
  if (
    afterComma &&
    after !== undefined &&
    !(after.type === 'punct' && after.text !== '-') &&
    !ADDRESS_AFTER.has(after.key)
  )
    return -1;
  return e;
}

function streetFirst(ctx: Ctx, i: number): void {
  const { tokens } = ctx;
  const t = tokens[i]!;
  if (!STREET_FIRST.has(t.key)) return;
  let k = i + 1;
  // "AV 627" is an airline and a flight; "Av. Reforma" and "Avenida" a street.
  if (t.key.length <= 4 && isAllCaps(t) && tokens[k]?.text !== '.') return;
  if (tokens[k]?.text === '.') k++;
  // Up to five words of the street's name, then the house number.
  for (let words = 0; words <= 5 && k < tokens.length; words++) {
    const n = tokens[k]!;
    if (n.gap === '\n') return;
    if (
      n.type === 'num' ||
      n.type === 'alnum' ||
      n.text === '#' ||
      n.key === 'no' ||
      n.key === 'numero' ||
      n.text === 'nº'
    ) {
      // "Calle 50", "Avenida 6": a street named by its number is a place; "Avenida 12-34",
      // "Calle 50 #12" add the house.
      const named = words === 0 && n.type !== 'punct' && tokens[k + 1]?.text !== '-';
      const e = named ? -1 : houseNumberAt(ctx, k, false);
      if (e > 0) {
        add(ctx, 'street_address', t.start, tokens[e - 1]!.end);
        return;
      }
      // "Calle 5 de Mayo 123": a number that is part of the name.
      k++;
      continue;
    }
    if (n.text === ',') {
      const e = houseNumberAt(ctx, k + 1, true);
      if (e > 0) add(ctx, 'street_address', t.start, tokens[e - 1]!.end);
      return;
    }
    if (n.type !== 'word' || (SENTENCE_END.has(n.text) && n.text !== '-')) return;
    k++;
  }
}

function streetNumberFirst(ctx: Ctx, i: number): void {
  const { tokens } = ctx;
  const t = tokens[i]!;
  if (t.type !== 'num' || t.text.length > 5) return;
  // "12 rue de la Paix", "123 Main Street", "4500 N 10th St"
  const next = tokens[i + 1];
  if (next === undefined) return;
  if (['rue', 'avenue', 'boulevard', 'bd', 'chemin', 'impasse', 'allee', 'quai'].includes(next.key)) {
    add(ctx, 'street_address', t.start, next.end);
    return;
  }
  let k = i + 1;
  for (let words = 0; words < 3 && k < tokens.length; words++, k++) {
    const w = tokens[k]!;
    const ordinal = w.type === 'alnum' && /^[0-9]{1,3}(?:st|nd|rd|th)$/i.test(w.text);
    const direction =
      ['n', 's', 'e', 'w', 'ne', 'nw', 'se', 'sw'].includes(w.key) && w.text === w.text.toUpperCase();
    if (!(isCapitalized(w) || ordinal || direction) || UNIT_WORDS.has(w.key) || w.gap === '\n') return;
    const last = tokens[k + 1];
    if (
      words >= 0 &&
      last !== undefined &&
      STREET_LAST.has(last.key) &&
      (isCapitalized(last) || isAllCaps(last))
    ) {
      add(ctx, 'street_address', t.start, last.end);
      return;
    }
  }
}

// machine-readable zone -------------------------------------------------------------------------

function mrz(ctx: Ctx, i: number): void {
  // An MRZ line: letters and digits joined by runs of '<' ("P<GTMPEREZ<<JUAN<<<<").
  const { tokens } = ctx;
  // Only from the start of a run of glued tokens, so that runs are read once.
  const prev = tokens[i - 1];
  if (prev !== undefined && tokens[i]!.gap === '' && (prev.text === '<' || prev.type !== 'punct')) return;
  let j = i;
  let fillers = 0;
  while (
    j + 1 < tokens.length &&
    tokens[j + 1]!.gap === '' &&
    (tokens[j + 1]!.text === '<' || tokens[j + 1]!.type !== 'punct')
  ) {
    if (tokens[j + 1]!.text === '<') fillers++;
    j++;
  }
  if (fillers >= 4) add(ctx, 'document_number', tokens[i]!.start, tokens[j]!.end);
}
