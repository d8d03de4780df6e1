import { z } from 'zod';

/**
 * The parts of API objects this backend reads. Workloads (Jobs, PyTorchJobs, TrainJobs) are read
 * as plain JSON through the generic custom-objects client, so every response is parsed here;
 * unknown fields are dropped, missing optional ones are fine.
 */
export const ConditionSchema = z.object({
  type: z.string(),
  status: z.string(),
  reason: z.string().optional(),
  message: z.string().optional(),
  lastTransitionTime: z.string().optional(),
});

export type Condition = z.infer<typeof ConditionSchema>;

export const ObjectMetaSchema = z.object({
  name: z.string(),
  namespace: z.string().optional(),
  uid: z.string().optional(),
  resourceVersion: z.string().optional(),
  creationTimestamp: z.string().optional(),
  deletionTimestamp: z.string().optional(),
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
});

/** A Job, PyTorchJob or TrainJob as the API server returns it. */
export const WorkloadObjectSchema = z.object({
  // Items of a list carry neither.
  apiVersion: z.string().optional(),
  kind: z.string().optional(),
  metadata: ObjectMetaSchema,
  spec: z
    .object({
      suspend: z.boolean().optional(),
      runPolicy: z.object({ suspend: z.boolean().optional() }).optional(),
    })
    .optional(),
  status: z
    .object({
      conditions: z.array(ConditionSchema).nullish(),
      active: z.number().optional(),
      succeeded: z.number().optional(),
      failed: z.number().optional(),
      startTime: z.string().optional(),
      completionTime: z.string().optional(),
    })
    .optional(),
});

export type WorkloadObject = z.infer<typeof WorkloadObjectSchema>;

export const WorkloadListSchema = z.object({
  items: z.array(WorkloadObjectSchema),
  metadata: z.object({ resourceVersion: z.string().optional() }).optional(),
});

/** The `Status` body the API server sends with an error. */
export const ApiStatusBodySchema = z.object({
  message: z.string().optional(),
  reason: z.string().optional(),
  code: z.number().optional(),
  details: z
    .object({
      name: z.string().optional(),
      group: z.string().optional(),
      kind: z.string().optional(),
      causes: z
        .array(
          z.object({
            field: z.string().optional(),
            message: z.string().optional(),
            reason: z.string().optional(),
          }),
        )
        .optional(),
    })
    .optional(),
});

export type ApiStatusBody = z.infer<typeof ApiStatusBodySchema>;
