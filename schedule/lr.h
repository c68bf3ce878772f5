/* lr: the learning-rate schedule: linear warmup to max_lr over `warmup`
 * steps, then cosine decay to min_lr at step total−1. */
#ifndef LNFREE_SCHEDULE_LR_H
#define LNFREE_SCHEDULE_LR_H

typedef struct {
    float max_lr, min_lr;
    int warmup, total;
} lr_schedule;

float lr_at(const lr_schedule *s, int step);

#endif
