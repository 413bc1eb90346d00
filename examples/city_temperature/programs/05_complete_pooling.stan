// Complete pooling: one linear regression of next-day temperature on today's temperature for all cities,
// on the assumption that the day-to-day relationship is the same everywhere.
data {
  int num_cities;
  int num_days_train;
  int num_days_test;
  array[num_cities, num_days_train] real day1_temp_train;
  array[num_cities, num_days_train] real day2_temp_train;
  array[num_cities, num_days_test] real day1_temp_test;
}
parameters {
  real alpha;
  real beta;
  real<lower=0> sigma;
}
model {
  alpha ~ normal(0, 20);
  beta ~ normal(1, 0.5);
  sigma ~ exponential(0.2);
  for (c in 1:num_cities) {
    day2_temp_train[c] ~ normal(alpha + beta * to_vector(day1_temp_train[c]), sigma);
  }
}
generated quantities {
  array[num_cities, num_days_test] real day2_temp_test;
  for (c in 1:num_cities) {
    for (d in 1:num_days_test) {
      day2_temp_test[c, d] = normal_rng(alpha + beta * day1_temp_test[c, d], sigma);
    }
  }
}
