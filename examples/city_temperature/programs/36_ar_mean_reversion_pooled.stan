// Complete pooling with mean reversion: all cities share one long-run mean and one persistence; tomorrow is
// pulled from today towards the common mean.
data {
  int num_cities;
  int num_days_train;
  int num_days_test;
  array[num_cities, num_days_train] real day1_temp_train;
  array[num_cities, num_days_train] real day2_temp_train;
  array[num_cities, num_days_test] real day1_temp_test;
}
parameters {
  real m;
  real<lower=0, upper=1> phi;
  real<lower=0> sigma;
}
model {
  m ~ normal(70, 15);
  phi ~ beta(2, 2);
  sigma ~ normal(0, 10) T[0, ];
  for (c in 1:num_cities) {
    for (d in 1:num_days_train) {
      day2_temp_train[c, d] ~ normal(m + phi * (day1_temp_train[c, d] - m), sigma);
    }
  }
}
generated quantities {
  array[num_cities, num_days_test] real day2_temp_test;
  for (c in 1:num_cities) {
    for (d in 1:num_days_test) {
      day2_temp_test[c, d] = normal_rng(m + phi * (day1_temp_test[c, d] - m), sigma);
    }
  }
}
