// No pooling: an independent regression of tomorrow's temperature on today's (centred at 70 F) for each
// city, with its own intercept, slope and noise scale; cities share nothing.
data {
  int num_cities;
  int num_days_train;
  int num_days_test;
  array[num_cities, num_days_train] real day1_temp_train;
  array[num_cities, num_days_train] real day2_temp_train;
  array[num_cities, num_days_test] real day1_temp_test;
}
parameters {
  vector[num_cities] alpha;
  vector[num_cities] beta;
  vector<lower=0>[num_cities] sigma;
}
model {
  alpha ~ normal(70, 20);
  beta ~ normal(1, 0.5);
  sigma ~ normal(0, 10) T[0, ];
  for (c in 1:num_cities) {
    for (d in 1:num_days_train) {
      day2_temp_train[c, d] ~ normal(alpha[c] + beta[c] * (day1_temp_train[c, d] - 70), sigma[c]);
    }
  }
}
generated quantities {
  array[num_cities, num_days_test] real day2_temp_test;
  for (c in 1:num_cities) {
    for (d in 1:num_days_test) {
      day2_temp_test[c, d] = normal_rng(alpha[c] + beta[c] * (day1_temp_test[c, d] - 70), sigma[c]);
    }
  }
}
