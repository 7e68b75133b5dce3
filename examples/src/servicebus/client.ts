import { ServiceBusClient } from '@azure/service-bus';

export const serviceBus = new ServiceBusClient(process.env.SERVICE_BUS_CONNECTION ?? 'Endpoint=sb://localhost/;SharedAccessKeyName=dev;SharedAccessKey=dev');
