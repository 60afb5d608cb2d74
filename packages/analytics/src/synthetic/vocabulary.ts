// Common US given names and surnames (US Census / SSA frequency lists), streets and New England towns with real ZIP
// codes and approximate coordinates. The towns include two of the HHS restricted three-digit ZIP areas (036 in New
// Hampshire, 059 in Vermont) so that de-identification has "000" cases to handle.

export const MALE_GIVEN: readonly string[] = (
  'James Robert John Michael David William Richard Joseph Thomas Christopher Charles Daniel Matthew ' +
  'Anthony Mark Donald Steven Andrew Paul Joshua Kenneth Kevin Brian George Timothy Ronald Jason ' +
  'Edward Jeffrey Ryan Jacob Gary Nicholas Eric Jonathan Stephen Larry Justin Scott Brandon ' +
  'Benjamin Samuel Gregory Alexander Patrick Frank Raymond Jack Dennis Jerry Carlos Luis Jose Juan ' +
  'Miguel Wei Hiroshi Arjun Abdul Kwame'
).split(' ');

export const FEMALE_GIVEN: readonly string[] = (
  'Mary Patricia Jennifer Linda Elizabeth Barbara Susan Jessica Sarah Karen Lisa Nancy Betty Sandra ' +
  'Margaret Ashley Kimberly Emily Donna Michelle Carol Amanda Melissa Deborah Stephanie Dorothy ' +
  'Rebecca Sharon Laura Cynthia Amy Kathleen Angela Shirley Brenda Emma Anna Pamela Nicole Samantha ' +
  'Katherine Christine Helen Debra Rachel Carolyn Janet Maria Catherine Heather Sofia Camila Lucia ' +
  'Mei Yuki Priya Aisha Fatima Amara Olivia'
).split(' ');

export const SURNAMES: readonly string[] = (
  'Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez ' +
  'Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris ' +
  'Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill ' +
  'Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts Gomez Phillips ' +
  'Evans Turner Diaz Parker Cruz Edwards Collins Reyes Stewart Morris Morales Murphy Cook Rogers ' +
  'Gutierrez Ortiz Morgan Cooper Peterson Bailey Reed Kelly Howard Ramos Kim Cox Ward Richardson ' +
  'Watson Brooks Chavez Wood James Bennett Gray Mendoza Ruiz Hughes Price Alvarez Castillo Sanders ' +
  "Patel Myers Long Ross Foster Jimenez O'Brien Sullivan McCarthy Doherty Kowalski Nowak Rossi " +
  'Russo Chen Wang'
).split(' ');

export const STREETS: readonly string[] = (
  'Main Maple Oak Pine Cedar Elm Washington Lincoln Park Lake Hill Church Pleasant Highland ' +
  'Prospect Summer Winter School Union Water Spring Chestnut Walnut Franklin Center High Mill River ' +
  'Forest Meadow Orchard Bridge'
).split(' ');

export const STREET_SUFFIXES: readonly string[] = 'Street Avenue Road Lane Drive Court Way Place'.split(' ');

export interface Town {
  readonly city: string;
  readonly state: string;
  readonly zip: string;
  readonly lat: number;
  readonly lon: number;
  /** Relative population weight. */
  readonly weight: number;
  readonly provider: string;
}

const ma = (city: string, zip: string, lat: number, lon: number, weight: number, provider: string): Town => ({
  city,
  state: 'Massachusetts',
  zip,
  lat,
  lon,
  weight,
  provider,
});

export const TOWNS: readonly Town[] = [
  ma('Boston', '02118', 42.338, -71.072, 650, 'Boston Medical Center'),
  ma('Worcester', '01605', 42.289, -71.789, 185, 'UMass Memorial Medical Center'),
  ma('Springfield', '01104', 42.129, -72.572, 155, 'Baystate Medical Center'),
  ma('Cambridge', '02139', 42.364, -71.104, 118, 'Cambridge Health Alliance'),
  ma('Lowell', '01852', 42.633, -71.313, 115, 'Lowell General Hospital'),
  ma('Brockton', '02301', 42.078, -71.038, 105, 'Signature Healthcare Brockton Hospital'),
  ma('New Bedford', '02740', 41.637, -70.939, 100, "St. Luke's Hospital"),
  ma('Quincy', '02169', 42.25, -71.0, 100, 'South Shore Health Quincy'),
  ma('Lynn', '01902', 42.469, -70.944, 100, 'North Shore Community Health'),
  ma('Fall River', '02720', 41.716, -71.146, 94, 'Charlton Memorial Hospital'),
  ma('Newton', '02458', 42.353, -71.188, 88, 'Newton-Wellesley Hospital'),
  ma('Lawrence', '01841', 42.711, -71.163, 89, 'Lawrence General Hospital'),
  ma('Somerville', '02143', 42.382, -71.1, 81, 'Somerville Hospital'),
  ma('Framingham', '01702', 42.281, -71.436, 72, 'MetroWest Medical Center'),
  ma('Haverhill', '01830', 42.776, -71.077, 67, 'Holy Family Hospital Haverhill'),
  ma('Waltham', '02453', 42.37, -71.237, 65, 'Waltham Family Medicine'),
  ma('Malden', '02148', 42.428, -71.06, 66, 'Malden Family Health Center'),
  ma('Plymouth', '02360', 41.958, -70.667, 61, 'Beth Israel Deaconess Hospital Plymouth'),
  ma('Medford', '02155', 42.419, -71.106, 59, 'Medford Primary Care'),
  ma('Taunton', '02780', 41.9, -71.09, 59, 'Morton Hospital'),
  ma('Chicopee', '01020', 42.176, -72.572, 55, 'Chicopee Health Center'),
  ma('Weymouth', '02188', 42.212, -70.958, 57, 'South Shore Hospital'),
  ma('Revere', '02151', 42.412, -71.012, 62, 'Revere Community Health'),
  ma('Peabody', '01960', 42.527, -70.929, 54, 'Peabody Family Practice'),
  ma('Methuen', '01844', 42.726, -71.191, 53, 'Holy Family Hospital Methuen'),
  ma('Barnstable', '02630', 41.7, -70.3, 49, 'Cape Cod Hospital'),
  ma('Pittsfield', '01201', 42.45, -73.245, 43, 'Berkshire Medical Center'),
  ma('Attleboro', '02703', 41.944, -71.285, 46, 'Sturdy Memorial Hospital'),
  ma('Salem', '01970', 42.519, -70.896, 44, 'Salem Hospital'),
  ma('Westfield', '01085', 42.125, -72.749, 40, 'Baystate Noble Hospital'),
  ma('Holyoke', '01040', 42.204, -72.616, 38, 'Holyoke Medical Center'),
  ma('Fitchburg', '01420', 42.583, -71.802, 41, 'HealthAlliance Hospital'),
  ma('Northampton', '01060', 42.325, -72.641, 29, 'Cooley Dickinson Hospital'),
  ma('Amherst', '01002', 42.373, -72.52, 39, 'Amherst Family Practice'),
  ma('Nantucket', '02554', 41.283, -70.099, 14, 'Nantucket Cottage Hospital'),
  ma('Edgartown', '02539', 41.389, -70.513, 5, "Martha's Vineyard Hospital"),
  // Restricted three-digit ZIP areas (population ≤ 20,000 in the HHS list).
  {
    city: 'Charlestown',
    state: 'New Hampshire',
    zip: '03603',
    lat: 43.238,
    lon: -72.425,
    weight: 10,
    provider: 'Valley Regional Hospital',
  },
  {
    city: 'Walpole',
    state: 'New Hampshire',
    zip: '03608',
    lat: 43.079,
    lon: -72.426,
    weight: 6,
    provider: 'Cheshire Medical Center',
  },
  {
    city: 'Canaan',
    state: 'Vermont',
    zip: '05903',
    lat: 44.996,
    lon: -71.535,
    weight: 4,
    provider: 'North Country Hospital',
  },
];

export const PAYERS = {
  medicare: { name: 'Medicare', sopt: '1', display: 'MEDICARE' },
  medicaid: { name: 'Medicaid', sopt: '2', display: 'MEDICAID' },
  private: [
    { name: 'Blue Cross Blue Shield', sopt: '5', display: 'PRIVATE HEALTH INSURANCE' },
    { name: 'Aetna', sopt: '5', display: 'PRIVATE HEALTH INSURANCE' },
    { name: 'UnitedHealthcare', sopt: '5', display: 'PRIVATE HEALTH INSURANCE' },
    { name: 'Cigna Health', sopt: '5', display: 'PRIVATE HEALTH INSURANCE' },
    { name: 'Harvard Pilgrim Health Care', sopt: '5', display: 'PRIVATE HEALTH INSURANCE' },
  ],
} as const;

export interface Payer {
  readonly name: string;
  readonly sopt: string;
  readonly display: string;
}

export const RACES = [
  { code: '2106-3', display: 'White', weight: 72 },
  { code: '2054-5', display: 'Black or African American', weight: 9 },
  { code: '2028-9', display: 'Asian', weight: 7 },
  { code: '1002-5', display: 'American Indian or Alaska Native', weight: 1 },
  { code: '2131-1', display: 'Other Race', weight: 11 },
] as const;

export const ETHNICITIES = {
  hispanic: { code: '2135-2', display: 'Hispanic or Latino' },
  notHispanic: { code: '2186-5', display: 'Not Hispanic or Latino' },
} as const;
