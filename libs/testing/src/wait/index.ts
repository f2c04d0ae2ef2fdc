export { settleWithin, waitFor } from './wait-for';
