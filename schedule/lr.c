#include "schedule/lr.h"
#include <math.h>

float lr_at(const lr_schedule *s, int step)
{
    if (step < s->warmup) {
        return s->max_lr * (float)(step + 1) / (float)s->warmup;
    }
    int span = s->total - 1 - s->warmup;
    double progress = span > 0 ? (double)(step - s->warmup) / span : 1.0;
    if (progress > 1.0) {
        progress = 1.0;
    }
    double cosine = 0.5 * (1.0 + cos(3.14159265358979323846 * progress));
    return (float)(s->min_lr + cosine * (s->max_lr - s->min_lr));
}
