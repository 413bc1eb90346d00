// Separate regressions for each city (no pooling of intercepts or slopes), with today's temperature centred
// at each city's own training mean; one noise scale for all cities.
data {
  int num_cities;
  int num_days_train;
  int num_days_test;
  array[num_cities, num_days_train] real day1_temp_train;
  array[num_cities, num_days_train] real day2_temp_train;
  array[num_cities, num_days_test] real day1_temp_test;
}
transformed data {
  array[num_cities] real day1_mean;
  for (c in 1:num_cities) {
    day1_mean[c] = mean(day1_temp_train[c]);
  }
}
parameters {
  vector[num_cities] alpha;
  vector[num_cities] beta;
  real<lower=0> sigma;
}
model {
  alpha ~ normal(70, 20);
  beta ~ normal(1, 0.5);
  sigma ~ exponential(0.25);
  for (c in 1:num_cities) {
    for (d in 1:num_days_train) {
      day2_temp_train[c, d] ~ normal(alpha[c] + beta[c] * (day1_temp_train[c, d] - day1_mean[c]), sigma);
    }
  }
}
generated quantities {
  array[num_cities, num_days_test] real day2_temp_test;
  for (c in 1:num_cities) {
    for (d in 1:num_days_test) {
      day2_temp_test[c, d] = normal_rng(alpha[c] + beta[c] * (day1_temp_test[c, d] - day1_mean[c]), sigma);
    }
  }
}
