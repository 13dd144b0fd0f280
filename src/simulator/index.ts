/** The OTC simulator: a local look-alike of the source for the demo, the tests and the benchmarks. */
export { startSimulator, ENDPOINT_PATH, DEFAULT_USERNAME } from './server.js';
export type { Simulator, SimulatorOptions, SimulatorRequest } from './server.js';
export { generateView } from './generate.js';
export type { GenerateOptions } from './generate.js';
export type { Scale } from './scale.js';
export { VIEW_FAULTS, droppedFieldOf, newFieldOf } from './faults.js';
export type { Faults, ViewFault } from './faults.js';
export { AUTOMATION_LOGIN, peopleFor } from './people.js';
export type { Person } from './people.js';
