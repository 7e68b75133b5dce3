import Stripe from 'stripe';
import { config } from '../config';

export const stripe = new Stripe(config.stripeSecretKey, { maxNetworkRetries: 2, timeout: 20_000 });
