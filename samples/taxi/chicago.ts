// Fixed "geography" of the synthetic taxi data: community areas, census tracts, companies.
// It is derived from a constant seed, never from the run's seed, so every generated file
// describes the same city and only the trips differ.

import { mulberry32 } from './prng.ts';

export interface CommunityArea {
  id: number;
  lat: number;
  lon: number;
  /** Relative share of trips that start or end here (downtown dominates, like the real data). */
  weight: number;
  tracts: CensusTract[];
}

export interface CensusTract {
  /** 11-digit FIPS code: state 17, Cook County 031, 6-digit tract. */
  id: number;
  lat: number;
  lon: number;
}

export interface Company {
  name: string;
  weight: number;
  /** Added to the logit of "pays by card" and "tips generously": fleets differ in clientele. */
  cardBias: number;
  tipBias: number;
}

// Approximate centroids of Chicago's 77 community areas (1 = Rogers Park ... 77 = Edgewater).
const CENTROIDS: ReadonlyArray<readonly [number, number]> = [
  [42.009, -87.670], [41.999, -87.692], [41.966, -87.655], [41.969, -87.689], [41.954, -87.681],
  [41.944, -87.655], [41.922, -87.648], [41.900, -87.634], [42.007, -87.814], [41.986, -87.801],
  [41.971, -87.763], [41.982, -87.750], [41.981, -87.721], [41.968, -87.720], [41.955, -87.764],
  [41.953, -87.723], [41.944, -87.806], [41.929, -87.800], [41.931, -87.767], [41.920, -87.734],
  [41.939, -87.711], [41.923, -87.701], [41.901, -87.721], [41.896, -87.673], [41.894, -87.766],
  [41.880, -87.729], [41.881, -87.702], [41.874, -87.667], [41.860, -87.718], [41.844, -87.714],
  [41.852, -87.666], [41.879, -87.627], [41.857, -87.622], [41.834, -87.633], [41.835, -87.618],
  [41.824, -87.603], [41.809, -87.633], [41.813, -87.617], [41.809, -87.596], [41.793, -87.618],
  [41.794, -87.593], [41.778, -87.596], [41.763, -87.576], [41.741, -87.612], [41.745, -87.587],
  [41.740, -87.555], [41.728, -87.597], [41.729, -87.578], [41.708, -87.623], [41.700, -87.605],
  [41.695, -87.563], [41.708, -87.535], [41.677, -87.636], [41.659, -87.605], [41.660, -87.547],
  [41.795, -87.770], [41.810, -87.726], [41.819, -87.699], [41.831, -87.673], [41.838, -87.648],
  [41.808, -87.657], [41.795, -87.725], [41.795, -87.696], [41.779, -87.770], [41.772, -87.722],
  [41.775, -87.694], [41.778, -87.666], [41.779, -87.645], [41.763, -87.615], [41.747, -87.706],
  [41.744, -87.656], [41.714, -87.676], [41.716, -87.650], [41.694, -87.713], [41.690, -87.668],
  [41.979, -87.904], [41.987, -87.661],
];

// Trip share by area; everything not listed gets 1. Near North Side, Loop, Near West Side,
// Lincoln Park, Lake View, O'Hare and Midway (Garfield Ridge) carry most real trips.
const AREA_WEIGHTS: Record<number, number> = {
  8: 300, 32: 200, 28: 90, 7: 55, 6: 50, 76: 55, 33: 40, 24: 35, 56: 20, 3: 15, 77: 12, 22: 10, 41: 8,
};

const COMPANY_NAMES = [
  'Taxi Affiliation Services', 'Flash Cab', 'Dispatch Taxi Affiliation', 'Yellow Cab',
  'Blue Ribbon Taxi Association Inc.', 'Choice Taxi Association', 'Northwest Management LLC',
  'Chicago Elite Cab Corp. (Chicago Carriag', 'KOAM Taxi Association', 'Top Cab Affiliation',
  'Chicago Medallion Leasing INC', 'Chicago Medallion Management', 'Chicago Taxicab', 'Checker Taxi',
  'Checker Taxi Affiliation', 'American United', 'Sun Taxi', 'City Service', 'Star North Management LLC',
  'Chicago Independents', 'Globe Taxi', 'Setare Inc', 'Metro Jet Taxi A', 'Gold Coast Taxi',
  'Suburban Dispatch LLC', 'Leonard Cab Co', 'Patriot Taxi Dba Peace Taxi Associat', '5 Star Taxi',
  'Norshore Cab', 'Service Taxi Association', 'Nova Taxi Affiliation Llc', 'Chicago Carriage Cab Corp',
  '24 Seven Taxi', 'Royal Star', '3201 - C&D Cab Co Inc', '5074 - 54002 Ahzmi Inc',
  // Names with commas and quotes keep CSV quoting honest.
  'Lakeshore Cab, Inc.', 'Chicago Star Taxicab, LLC', 'Windy City Cab, Co. "WCC"', '"Big Shoulders" Cab Co',
];

const GEOGRAPHY_SEED = 0x7a71;

export const AREAS: readonly CommunityArea[] = (() => {
  const rand = mulberry32(GEOGRAPHY_SEED);
  return CENTROIDS.map(([lat, lon], i) => {
    const id = i + 1;
    const tracts: CensusTract[] = [];
    const count = 3 + Math.floor(rand() * 4);
    for (let k = 1; k <= count; k++) {
      tracts.push({
        id: 17031_000000 + id * 10000 + k * 100,
        lat: lat + (rand() - 0.5) * 0.024,
        lon: lon + (rand() - 0.5) * 0.03,
      });
    }
    return { id, lat, lon, weight: AREA_WEIGHTS[id] ?? 1, tracts };
  });
})();

export const COMPANIES: readonly Company[] = (() => {
  const rand = mulberry32(GEOGRAPHY_SEED + 1);
  // Zipf-like fleet sizes: a few big affiliations, a long tail of small ones.
  return COMPANY_NAMES.map((name, i) => ({
    name,
    weight: 1 / (i + 1) ** 0.9,
    cardBias: (rand() - 0.5) * 0.8,
    tipBias: (rand() - 0.5) * 1.6,
  }));
})();
